// Child of bench/scale.ts: one server (`ours` or `raw`) on 127.0.0.1, sampled over IPC until the parent disconnects.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { ReliableWebSocketServer } from '../src/server/index';

export const SCALE_API_KEY = 'scale-key';

/** What the parent asks for, and what this child answers. */
/** `gc`: collect first (for memory figures; not around a CPU window, it costs CPU). */
export type ServerRequest = { sample: true; gc: boolean };
export interface ServerSample {
  /** After a full collection when asked (the child runs with --expose-gc). */
  rssBytes: number;
  heapUsedBytes: number;
  /** process.cpuUsage since start, user + system, µs. */
  cpuUs: number;
  connections: number;
  /** Event-loop delay since the previous sample (or start), ms. */
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}
export type ServerReply = { port: number } | { sample: ServerSample } | { error: string };

const MAX_LIFETIME_MS = 15 * 60_000;

interface Started {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

/** The reference server with its defaults (heartbeatInterval 30 s, dedupe 10 min) and a no-op handler. */
async function startOurs(): Promise<Started> {
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: [SCALE_API_KEY] });
  server.handle('probe', () => undefined);
  const { port } = await server.listen();
  return { port, connections: () => server.stats().sessions, close: () => server.close() };
}

/** A bare `ws` server answering the same hello and heartbeat frames: what a connection costs without the library. */
async function startRaw(): Promise<Started> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; ts?: number };
      if (frame.type === 'connect') socket.send('{"type":"connect","v":1,"sessionId":"raw"}');
      else if (frame.type === 'heartbeat') socket.send(`{"type":"heartbeat_ack","ts":${Number(frame.ts)}}`);
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    connections: () => wss.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

function reply(message: ServerReply): void {
  process.send?.(message);
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function sample(server: Started, gc: boolean): ServerSample {
  const ms = (ns: number) => ns / 1e6;
  const delay = {
    loopDelayP50Ms: ms(loop.percentile(50)),
    loopDelayP99Ms: ms(loop.percentile(99)),
    loopDelayMaxMs: ms(loop.max),
  };
  loop.reset();
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: rss,
    heapUsedBytes: heapUsed,
    cpuUs: cpu.user + cpu.system,
    connections: server.connections(),
    ...delay,
  };
}

async function main(): Promise<void> {
  const server = process.argv[2] === 'raw' ? await startRaw() : await startOurs();
  setTimeout(() => process.exit(2), MAX_LIFETIME_MS).unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(0), 5000).unref();
    void server.close().then(() => process.exit(0));
  });
  process.on('message', (message: ServerRequest) => {
    if (message.sample) reply({ sample: sample(server, message.gc) });
  });
  reply({ port: server.port });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
