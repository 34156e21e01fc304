// Child-process entry of startPeerServer: runs one peer's server until the parent disconnects.
import type { HostMessage, StartServer } from './peer-server';
import { startProbe, type ProbeSample } from './process-probe';

const MAX_LIFETIME_MS = 30 * 60_000;

function reply(message: HostMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const modulePath = process.argv[2];
  const peer = (await import(modulePath)) as { startServer: StartServer };
  const server = await peer.startServer();
  // Bounded even if the parent vanishes without a disconnect.
  setTimeout(() => process.exit(2), MAX_LIFETIME_MS).unref();
  process.once('disconnect', () => {
    const forced = setTimeout(() => process.exit(0), 3000);
    forced.unref();
    void server.close().then(() => process.exit(0));
  });
  // The parent reads this process's CPU, GC and allocation around each measured run.
  let stopProbe: (() => ProbeSample) | undefined;
  process.on('message', (message: { probe?: 'start' | 'stop' }) => {
    if (message.probe === 'start') {
      stopProbe = startProbe();
      reply({ probe: 'started' });
    } else if (message.probe === 'stop' && stopProbe) {
      const sample = stopProbe();
      stopProbe = undefined;
      reply({ probe: 'stopped', sample });
    }
  });
  reply({ port: server.port });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
