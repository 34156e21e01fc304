import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisInboundLog } from '../../src/redis/redis-inbound-log';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { describeInboundLog } from './describe-inbound-log';

// The memory and file logs (issue 10) run this same suite where they are defined.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
let run = 0;
describeInboundLog('RedisInboundLog', async (retention) => {
  const port = new IoredisPort({ url: redis.url });
  const log = new RedisInboundLog(port, { keyPrefix: `log-${++run}:`, retention });
  return {
    log,
    dispose: async () => {
      await log.close();
      await port.close();
    },
  };
});
