import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDedupeStore, MemoryDedupeStore } from '../../src/server/index';
import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisDedupeStore } from '../../src/redis/redis-dedupe-store';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { describeDedupeStore } from './describe-dedupe-store';

describeDedupeStore('MemoryDedupeStore', async () => ({ store: new MemoryDedupeStore() }));

describeDedupeStore('FileDedupeStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rx-dedupe-contract-'));
  const store = new FileDedupeStore(dir, { storage: { fsync: false } });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});
let run = 0;
describeDedupeStore('RedisDedupeStore', async () => {
  const port = new IoredisPort({ url: redis.url });
  const store = new RedisDedupeStore(port, { keyPrefix: `contract-${++run}:` });
  return {
    store,
    dispose: async () => {
      store.close();
      await port.close();
    },
  };
});
