import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';
import { acknowledgedSend, measure, readBenchEnv, type BenchOptions, type BenchResult } from '../harness';
import { startPeerServer, type RunningServer } from '../peer-server';

/** The reference server with a handler that returns nothing, like the bare ack. */
export async function startServer(): Promise<RunningServer> {
  const server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: ['bench-key'] });
  server.handle('signal', () => undefined);
  const { port } = await server.listen();
  return { port, close: () => server.close() };
}

/** Where the server of a row comes from: its module (for `BENCH_SERVER=child`) and its start function. */
export interface OurServer {
  file: string;
  start: () => Promise<RunningServer>;
}

const IN_PROCESS: OurServer = { file: __filename, start: startServer };

/** Our client against `server`, with or without the file journal; one row of the report. */
export async function benchClient(
  name: string,
  opts: BenchOptions,
  durable: boolean,
  ours: OurServer = IN_PROCESS,
): Promise<BenchResult> {
  const env = readBenchEnv();
  const server = await startPeerServer(ours.file, ours.start, env.serverMode);
  const dir = durable ? mkdtempSync(join(tmpdir(), 'rxws-bench-')) : undefined;
  const storage = dir ? new FileStorageAdapter(dir) : undefined;
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${server.port}`, {
    apiKey: 'bench-key',
    enablePersistence: durable,
    storage,
    maxInFlight: opts.window === 'burst' ? opts.messages : opts.window,
    queueSize: opts.messages + 1,
    messageTimeout: 30_000,
  });
  try {
    await client.connect();
    const send = acknowledgedSend(client);
    return await measure(name, opts, send, { ...env, server });
  } finally {
    await client.close();
    await storage?.close();
    await server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Our client without persistence: acks, dedupe ids, priority queue, batching. */
export const bench = (opts: BenchOptions): Promise<BenchResult> => benchClient('rx-reliable-ws', opts, false);

/** Our client with every message fsync'd to the file journal before it is sent. */
export const benchDurable = (opts: BenchOptions): Promise<BenchResult> =>
  benchClient('rx-reliable-ws + file journal', opts, true);
