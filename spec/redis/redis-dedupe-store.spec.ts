import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisDedupeStore } from '../../src/redis/redis-dedupe-store';
import { dedupeRedisKey } from '../../src/redis/redis-keys';
import { OUTCOME_UNKNOWN } from '../../src/server/index';
import { sessionKey } from '../../src/server/session-registry';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

let redis: RedisServer;
const ports: IoredisPort[] = [];
const stores: RedisDedupeStore[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  stores.splice(0).forEach((s) => s.close());
  await Promise.all(ports.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await redis.stop();
});

let app = 0;
/** Two nodes of one app: separate connections and owner tokens, one key prefix. */
async function twoNodes(
  leaseMs: number,
  url = redis.url,
): Promise<[RedisDedupeStore, RedisDedupeStore, IoredisPort]> {
  const keyPrefix = `dd${++app}:`;
  const make = (): RedisDedupeStore => {
    const port = new IoredisPort({ url });
    ports.push(port);
    const store = new RedisDedupeStore(port, { keyPrefix, leaseMs, waitMs: 5000 });
    stores.push(store);
    return store;
  };
  const [a, b] = [make(), make()];
  await Promise.all([a.ready, b.ready]);
  return [a, b, ports[ports.length - 1]!];
}
const key = (id: string): string => sessionKey('acct', 'c-1') + id;
const TTL = 60_000;

describe('RedisDedupeStore leases', () => {
  it('keeps a running claim alive past its lease by renewing it', async () => {
    const [a, b] = await twoNodes(1000);
    expect(await a.claim(key('m1'), Date.now() + TTL)).toEqual({ status: 'started' });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // 2.5 leases; renewed every 333 ms
    expect(await b.claim(key('m1'), Date.now() + TTL)).toEqual({ status: 'pending' });
  });

  it('turns the claim of a node that stopped renewing into OUTCOME_UNKNOWN after the lease, never a second start', async () => {
    const [a, b] = await twoNodes(300);
    await a.claim(key('m1'), Date.now() + TTL);
    a.close(); // the node died: no more renewals
    const waiting = b.waitFor(key('m1'));
    expect(await waiting).toEqual(OUTCOME_UNKNOWN);
    expect(await b.claim(key('m1'), Date.now() + TTL)).toEqual({ status: 'done', outcome: OUTCOME_UNKNOWN });
  });

  it("wakes a waiter on another node with the outcome's PUBLISH (the waiter marker), long before its poll", async () => {
    const [a, b] = await twoNodes(20_000); // the waiter's poll: every 10 s, past its 5 s waitMs
    await a.claim(key('m1'), Date.now() + TTL);
    const waiting = b.waitFor(key('m1'));
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed, marker set
    const started = Date.now();
    await a.complete(key('m1'), { ok: true, response: 'filled' }, Date.now() + TTL);
    expect(await waiting).toEqual({ ok: true, response: 'filled' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes back its own claim whose reply was lost (the handler never started here)', async () => {
    const [a, , port] = await twoNodes(5000);
    const { redisKey } = dedupeRedisKey(`dd${app}:`, key('m1'));
    // What a timed-out claim leaves once a frozen Redis runs it: a claim of this owner that no handler holds.
    await port.command('SET', [redisKey, `P|${a.owner}|${Date.now() + 60_000}`, 'PX', 60_000]);
    expect(await a.claim(key('m1'), Date.now() + TTL)).toEqual({ status: 'started' });
    expect(await a.claim(key('m1'), Date.now() + TTL)).toEqual({ status: 'pending' }); // now it is held
  });

  it('refuses new ids with full (DEDUPE_FULL) when Redis is out of memory under noeviction', async () => {
    const small = await startRedisServer({ args: ['--maxmemory', '2mb'] });
    try {
      const [a] = await twoNodes(5000, small.url);
      let status = 'started';
      for (let i = 0; i < 50_000 && status === 'started'; i++)
        status = (await a.claim(key(`m${i}-${'x'.repeat(100)}`), Date.now() + TTL)).status;
      expect(status).toBe('full');
    } finally {
      stores.splice(0).forEach((s) => s.close());
      await Promise.all(ports.splice(0).map((p) => p.close()));
      await small.stop();
    }
  });

  it('records a batch of mixed outcomes (the usual ack, a response, a nack) and answers each on another node, waiters too', async () => {
    const [a, b] = await twoNodes(5000);
    const outcomes = [
      { ok: true },
      { ok: true, response: { fill: 1.0842 } },
      { ok: true },
      { ok: false, code: 'REJECTED', message: 'no margin' },
      { ok: true, response: '' },
    ] as const;
    const ids = outcomes.map((_, i) => `mix-${i}`);
    // One turn: one CLAIM call, then one COMPLETE call for all of them.
    expect(await Promise.all(ids.map((id) => a.claim(key(id), Date.now() + TTL)))).toEqual(
      ids.map(() => ({ status: 'started' })),
    );
    const waiting = b.waitFor(key('mix-0'));
    const waitingResponse = b.waitFor(key('mix-1'));
    await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed, marker set
    await Promise.all(ids.map((id, i) => a.complete(key(id), outcomes[i]!, Date.now() + TTL)));
    expect(await waiting).toEqual({ ok: true });
    expect(await waitingResponse).toEqual(outcomes[1]);
    const again = await Promise.all(ids.map((id) => b.claim(key(id), Date.now() + TTL)));
    expect(again).toEqual(outcomes.map((outcome) => ({ status: 'done', outcome })));
    // A new id in the same batch as remembered ones is claimed; the remembered ones keep their order.
    const mixed = await Promise.all(
      [ids[1]!, 'mix-new', ids[3]!].map((id) => b.claim(key(id), Date.now() + TTL)),
    );
    expect(mixed).toEqual([
      { status: 'done', outcome: outcomes[1] },
      { status: 'started' },
      { status: 'done', outcome: outcomes[3] },
    ]);
  });

  it('answers after a SCRIPT FLUSH: the EVALSHA answered NOSCRIPT ran nothing and is sent again as EVAL', async () => {
    const [a, b, port] = await twoNodes(5000);
    expect(await a.claim(key('f1'), Date.now() + TTL)).toEqual({ status: 'started' });
    await port.command('SCRIPT', ['FLUSH']);
    await a.complete(key('f1'), { ok: true, response: 1 }, Date.now() + TTL);
    expect(await b.claim(key('f1'), Date.now() + TTL)).toEqual({
      status: 'done',
      outcome: { ok: true, response: 1 },
    });
    expect(await b.claim(key('f2'), Date.now() + TTL)).toEqual({ status: 'started' });
  });

  it('names keys by its own keyPrefix only: a node on a client with an ioredis keyPrefix shares entries and wakes waiters', async () => {
    const { loadIoredis } = await import('../../src/redis/load-ioredis');
    const IORedis = loadIoredis();
    const keyPrefix = `kp${++app}:`;
    const client = new IORedis(redis.url, {
      keyPrefix: 'other:',
      enableOfflineQueue: false,
      commandTimeout: 1000,
    });
    const own = new IoredisPort({ client });
    const plain = new IoredisPort({ url: redis.url });
    const a = new RedisDedupeStore(own, { keyPrefix, leaseMs: 5000, waitMs: 5000 });
    const b = new RedisDedupeStore(plain, { keyPrefix, leaseMs: 5000, waitMs: 5000 });
    stores.push(a, b);
    ports.push(own, plain);
    try {
      await Promise.all([a.ready, b.ready]);
      expect(await a.claim(key('p1'), Date.now() + TTL)).toEqual({ status: 'started' });
      expect(await b.claim(key('p1'), Date.now() + TTL)).toEqual({ status: 'pending' });
      const waiting = b.waitFor(key('p1'));
      await new Promise((resolve) => setTimeout(resolve, 200)); // subscribed, marker set
      await a.complete(key('p1'), { ok: true, response: 'x' }, Date.now() + TTL);
      expect(await waiting).toEqual({ ok: true, response: 'x' });
      expect(await b.claim(key('p1'), Date.now() + TTL)).toEqual({
        status: 'done',
        outcome: { ok: true, response: 'x' },
      });
    } finally {
      client.disconnect();
    }
  });
});
