// Measures Redis memory per dedupe entry and per inbound stream entry (docs/scale-out.md, "Sizing"):
// `npx tsx scripts/redis-sizing.ts [ENTRIES]`. Starts a throwaway local redis-server.
import { randomUUID } from 'node:crypto';
import { startLocalRedis } from '../src/cli/demo-cluster';
import { IoredisPort } from '../src/redis/ioredis-port';
import { RedisDedupeStore } from '../src/redis/redis-dedupe-store';
import { RedisInboundLog } from '../src/redis/redis-inbound-log';
import { sessionKey } from '../src/server/session-registry';

const ENTRIES = Number(process.argv[2] ?? 20_000);
const TTL = 600_000;

async function usedMemory(port: IoredisPort): Promise<number> {
  const info = String(await port.command('INFO', ['memory']));
  return Number(/^used_memory:(\d+)/m.exec(info)![1]);
}

async function main(): Promise<void> {
  const redis = await startLocalRedis();
  const port = new IoredisPort({ url: redis.url, commandTimeoutMs: 10_000 });
  try {
    const store = new RedisDedupeStore(port);
    const log = new RedisInboundLog(port, { retention: { maxMessages: 10 * ENTRIES } });
    await store.ready;
    const session = sessionKey('acct-000123', randomUUID());
    const base = await usedMemory(port);
    for (let i = 0; i < ENTRIES; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, async () => {
          const key = session + randomUUID();
          await store.claim(key, Date.now() + TTL);
          await store.complete(
            key,
            { ok: true, response: { orderId: `ord-${i}`, status: 'accepted' } },
            Date.now() + TTL,
          );
        }),
      );
    }
    const afterDedupe = await usedMemory(port);
    const fill = {
      orderId: 'ord-123456',
      symbol: 'EURUSD',
      side: 'BUY',
      qty: 100000,
      price: 1.08423,
      ts: Date.now(),
    };
    for (let i = 0; i < ENTRIES; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () => log.append('principal:acct-000123', 'FILL', fill, Date.now())),
      );
    }
    const afterStream = await usedMemory(port);
    store.close();
    console.log(`entries: ${ENTRIES} of each`);
    console.log(`dedupe entry (UUID id, ~60 B outcome): ${Math.round((afterDedupe - base) / ENTRIES)} bytes`);
    console.log(
      `stream entry (~${JSON.stringify(fill).length} B payload): ${Math.round((afterStream - afterDedupe) / ENTRIES)} bytes`,
    );
  } finally {
    await port.close();
    redis.stop();
  }
}

void main();
