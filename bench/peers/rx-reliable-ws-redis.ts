import { ReliableWebSocketClient } from '../../src/node';
import { startLocalRedis } from '../../src/cli/demo-cluster';
import { redisBackend } from '../../src/redis/index';
import { ReliableWebSocketServer } from '../../src/server/index';
import {
  measure,
  readBenchEnv,
  tradeSignal,
  type BenchOptions,
  type BenchResult,
  type SendFn,
} from '../harness';
import { startPeerServer, type RunningServer } from '../peer-server';

/** The reference server on a Redis backend (a local redis-server, nothing on disk), same empty handler. */
export async function startServer(): Promise<RunningServer> {
  const redis = await startLocalRedis();
  const server = new ReliableWebSocketServer({
    host: '127.0.0.1',
    port: 0,
    apiKeys: ['bench-key'],
    backend: redisBackend({ url: redis.url }),
  });
  server.handle('signal', () => undefined);
  const { port } = await server.listen();
  return {
    port,
    close: async () => {
      await server.close();
      redis.stop();
    },
  };
}

/** Our client against the server on Redis: every message one pipelined claim and one outcome write. */
export async function bench(opts: BenchOptions): Promise<BenchResult> {
  const env = readBenchEnv();
  const server = await startPeerServer(__filename, startServer, env.serverMode);
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${server.port}`, {
    apiKey: 'bench-key',
    enablePersistence: false,
    maxInFlight: opts.window === 'burst' ? opts.messages : opts.window,
    queueSize: opts.messages + 1,
    messageTimeout: 30_000,
  });
  try {
    await client.connect();
    const send: SendFn = (seq, done) => {
      client
        .sendWithAcknowledgement({ type: 'signal', payload: tradeSignal(seq) })
        .then((result) => done(result.acknowledged ? undefined : result.error), done);
    };
    return await measure('rx-reliable-ws server on Redis', opts, send, env);
  } finally {
    await client.close();
    await server.close();
  }
}
