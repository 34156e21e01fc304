import { startLocalRedis } from '../../src/cli/demo-cluster';
import { redisBackend } from '../../src/redis/index';
import { ReliableWebSocketServer } from '../../src/server/index';
import type { BenchOptions, BenchResult } from '../harness';
import type { RunningServer } from '../peer-server';
import { benchClient } from './rx-reliable-ws';

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
export const bench = (opts: BenchOptions): Promise<BenchResult> =>
  benchClient('rx-reliable-ws server on Redis', opts, false, { file: __filename, start: startServer });
