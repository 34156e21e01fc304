import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisInboundLog } from '../../src/redis/redis-inbound-log';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { describeInboundLog } from './describe-inbound-log';

// The memory and file logs run this same suite in spec/server/*-inbound-log.spec.ts.
let redis: RedisServer;
const ports: IoredisPort[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await Promise.all(ports.splice(0).map((port) => port.close()));
  await redis.stop();
});
let run = 0;
describeInboundLog('RedisInboundLog', (retention) => {
  const port = new IoredisPort({ url: redis.url });
  ports.push(port);
  return new RedisInboundLog(port, { keyPrefix: `log-${++run}:`, retention });
});
