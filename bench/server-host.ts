// Child-process entry of startPeerServer: runs one peer's server until the parent disconnects.
import type { StartServer } from './peer-server';

const MAX_LIFETIME_MS = 30 * 60_000;

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
  process.send?.({ port: server.port });
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
