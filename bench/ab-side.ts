// Child of bench/ab.ts: the rx-reliable-ws bench (client + server in this process) on the `src/` given as argv[2];
// with BENCH_AB=push, reliable push instead (bench/push-bench.ts, memory cursor; PUSH_MESSAGES); with
// BENCH_AB=redis, the same acked bench against the server on a Redis backend (a local redis-server); with
// BENCH_AB=journal, the "rx-reliable-ws + file journal" row (persistence on, the side's own FileStorageAdapter).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { acknowledgedSend, measure, readBenchEnv, type BenchResult } from './harness';
import { readPushEnv, runPushBench, type PushLib } from './push-bench';

interface Lib {
  ReliableWebSocketClient: typeof import('../src/node').ReliableWebSocketClient;
  FileStorageAdapter: typeof import('../src/node').FileStorageAdapter;
}
interface ServerLib {
  ReliableWebSocketServer: typeof import('../src/server/index').ReliableWebSocketServer;
}

/** Reliable push on `src`, as a BenchResult: msg/s received, CPU and alloc per message (no RTT figures). */
async function push(src: string): Promise<BenchResult> {
  const lib = {
    ...((await import(path.join(src, 'node'))) as Pick<
      PushLib,
      'ReliableWebSocketClient' | 'FileStorageAdapter'
    >),
    ...((await import(path.join(src, 'server', 'index'))) as Pick<PushLib, 'ReliableWebSocketServer'>),
  };
  const { messages } = readPushEnv(1);
  const [r] = await runPushBench({ messages, rounds: 1, modes: ['reliable publish (memory cursor)'], lib });
  return {
    name: 'reliable push',
    messagesPerSec: r!.messagesPerSec,
    cpuUsPerMsg: r!.cpuUsPerMsg,
    bytesPerMsg: r!.bytesPerMsg,
    promotedPerMsg: NaN,
    gcPct: NaN,
    p50Ms: NaN,
    p99Ms: NaN,
    serialP50Us: NaN,
    serialP99Us: NaN,
  };
}

async function main(): Promise<void> {
  const src = process.argv[2];
  if (process.env['BENCH_AB'] === 'push') {
    process.send?.({ result: await push(src) });
    return;
  }
  const { ReliableWebSocketClient, FileStorageAdapter } = (await import(path.join(src, 'node'))) as Lib;
  const { ReliableWebSocketServer } = (await import(path.join(src, 'server', 'index'))) as ServerLib;
  const env = readBenchEnv();
  let redis: { url: string; stop: () => void } | undefined;
  let backend: object | undefined;
  if (process.env['BENCH_AB'] === 'redis') {
    const cluster = (await import(path.join(src, 'cli', 'demo-cluster'))) as {
      startLocalRedis: () => Promise<{ url: string; stop: () => void }>;
    };
    const redisLib = (await import(path.join(src, 'redis', 'index'))) as {
      redisBackend: (options: { url: string }) => object;
    };
    redis = await cluster.startLocalRedis();
    backend = redisLib.redisBackend({ url: redis.url });
  }
  const server = new ReliableWebSocketServer({
    host: '127.0.0.1',
    port: 0,
    apiKeys: ['bench-key'],
    ...(backend ? { backend: backend as never } : {}),
  });
  server.handle('signal', () => undefined);
  const { port } = await server.listen();
  const dir =
    process.env['BENCH_AB'] === 'journal' ? mkdtempSync(path.join(tmpdir(), 'rxws-ab-')) : undefined;
  const storage = dir ? new FileStorageAdapter(dir) : undefined;
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, {
    apiKey: 'bench-key',
    enablePersistence: storage !== undefined,
    storage,
    maxInFlight: env.window === 'burst' ? env.messages : env.window,
    queueSize: env.messages + 1,
    messageTimeout: 30_000,
  });
  try {
    await client.connect();
    const send = acknowledgedSend(client);
    const result = await measure(
      'rx-reliable-ws',
      { messages: env.messages, window: env.window, runs: 1 },
      send,
      env,
    );
    process.send?.({ result });
  } finally {
    await client.close();
    await storage?.close();
    await server.close();
    redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .catch((error: unknown) =>
    process.send?.({ error: error instanceof Error ? error.message : String(error) }),
  )
  .finally(() => setTimeout(() => process.exit(0), 100));
