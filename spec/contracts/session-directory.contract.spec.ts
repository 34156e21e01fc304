import { randomBytes } from 'node:crypto';
import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisSessionDirectory } from '../../src/redis/redis-session-directory';
import { MemoryBackendHub } from '../../src/server/index';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { describeSessionDirectory } from './describe-session-directory';

describeSessionDirectory('MemoryBackendHub (servers in one process)', () => {
  const hub = new MemoryBackendHub();
  return {
    directory: () => hub.directory(),
    outage: async () => {
      hub.setReachable(false);
      return async () => hub.setReachable(true);
    },
    close: async () => undefined,
  };
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
let app = 0;
describeSessionDirectory('RedisSessionDirectory (a connection per node)', () => {
  const keyPrefix = `app${++app}:`;
  const ports: IoredisPort[] = [];
  return {
    directory: async () => {
      const port = new IoredisPort({ url: redis.url, commandTimeoutMs: 300 });
      ports.push(port);
      await port.connected(5000);
      return new RedisSessionDirectory(port, { keyPrefix, nodeId: randomBytes(6).toString('base64url') });
    },
    outage: async () => {
      redis.freeze(); // the sockets stay open, nothing answers: commands time out
      await new Promise((resolve) => setTimeout(resolve, 600));
      return async () => redis.thaw();
    },
    close: async () => {
      redis.thaw();
      await Promise.all(ports.splice(0).map((port) => port.close()));
    },
  };
});
