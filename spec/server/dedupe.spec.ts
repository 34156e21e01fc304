import { firstValueFrom, filter } from 'rxjs';
import {
  MemoryDedupeStore,
  ReliableWebSocketServer,
  type DedupeOutcome,
  type DedupeStore,
} from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

/** A handler that counts runs per message id and answers with a fresh value each run. */
function counting(server: ReliableWebSocketServer, name = 'ORDER'): Map<string, number> {
  const runs = new Map<string, number>();
  let orders = 0;
  server.handle(name, (_payload, ctx) => {
    runs.set(ctx.messageId, (runs.get(ctx.messageId) ?? 0) + 1);
    return { orderId: `o${++orders}` };
  });
  return runs;
}

describe('ReliableWebSocketServer dedupe', () => {
  it('re-acks a duplicate after completion with the same response, without running the handler', async () => {
    const { server, url } = await start();
    const runs = counting(server);
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'ORDER');
    const first = await client.next();
    client.message('m1', 'ORDER');
    const second = await client.next();
    expect(first).toEqual({ type: 'ack', id: 'm1', response: { orderId: 'o1' } });
    expect(second).toEqual(first);
    expect(runs.get('m1')).toBe(1);
    expect(server.stats()).toMatchObject({ messagesReceived: 2, messagesHandled: 1, duplicates: 1 });
    await client.close();
  });

  it('makes a duplicate that arrives while the handler runs wait for the same answer', async () => {
    const { server, url } = await start();
    let release!: (value: unknown) => void;
    let runs = 0;
    server.handle('SLOW', () => {
      runs++;
      return new Promise((resolve) => (release = resolve));
    });
    const duplicate = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'duplicate')));
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'SLOW');
    client.message('m1', 'SLOW');
    expect(await duplicate).toMatchObject({
      type: 'duplicate',
      messageId: 'm1',
      inFlight: true,
      clientId: 'c1',
    });
    expect(client.pending).toEqual([]);
    release({ done: true });
    const answers = [await client.next(), await client.next()];
    expect(answers).toEqual([
      { type: 'ack', id: 'm1', response: { done: true } },
      { type: 'ack', id: 'm1', response: { done: true } },
    ]);
    expect(runs).toBe(1);
    await client.close();
  });

  it('remembers a nack too: a duplicate of a failed message gets the same nack', async () => {
    const { server, url } = await start();
    let runs = 0;
    server.handle('FAIL', () => {
      runs++;
      throw Object.assign(new Error(`failure ${runs}`), { code: 'INSUFFICIENT_MARGIN' });
    });
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'FAIL');
    const first = await client.next();
    client.message('m1', 'FAIL');
    expect(await client.next()).toEqual(first);
    expect(first).toEqual({ type: 'nack', id: 'm1', code: 'INSUFFICIENT_MARGIN', message: 'failure 1' });
    expect(runs).toBe(1);
    await client.close();
  });

  it('dedupes per clientId: the same id from another clientId is processed', async () => {
    const { server, url } = await start();
    const runs = counting(server);
    const a = await RawClient.connect(url, 'client-a');
    const b = await RawClient.connect(url, 'client-b');
    a.message('m1', 'ORDER');
    expect(await a.next()).toMatchObject({ response: { orderId: 'o1' } });
    b.message('m1', 'ORDER');
    expect(await b.next()).toMatchObject({ response: { orderId: 'o2' } });
    expect(runs.get('m1')).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('dedupes per principal: the same clientId and id under another key is processed', async () => {
    const { server, url } = await start({ apiKeys: ['k1', 'k2'] });
    const runs = counting(server);
    const a = await RawClient.connect(url, 'c1', 'k1');
    const b = await RawClient.connect(url, 'c1', 'k2');
    a.message('m1', 'ORDER');
    b.message('m1', 'ORDER');
    await Promise.all([a.acks(['m1']), b.acks(['m1'])]);
    expect(runs.get('m1')).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('answers a resend on a new connection (after a reconnect) from memory', async () => {
    const { server, url } = await start({ apiKeys: ['k1'] });
    const runs = counting(server);
    const before = await RawClient.connect(url, 'c1', 'k1');
    before.message('m1', 'ORDER');
    const first = await before.next();
    before.terminate();
    await before.closed;
    const after = await RawClient.connect(url, 'c1', 'k1');
    after.message('m1', 'ORDER');
    expect(await after.next()).toEqual(first);
    expect(runs.get('m1')).toBe(1);
    await after.close();
  });

  it('delivers the answer of a message whose connection died mid-handler to the resend', async () => {
    const { server, url } = await start();
    let release!: (value: unknown) => void;
    let runs = 0;
    server.handle('SLOW', () => {
      runs++;
      return new Promise((resolve) => (release = resolve));
    });
    const started = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'message')));
    const before = await RawClient.connect(url, 'c1');
    before.message('m1', 'SLOW');
    await started;
    before.terminate();
    const after = await RawClient.connect(url, 'c1');
    after.message('m1', 'SLOW');
    await firstValueFrom(server.events$.pipe(filter((e) => e.type === 'duplicate')));
    release('filled');
    expect(await after.next()).toEqual({ type: 'ack', id: 'm1', response: 'filled' });
    expect(runs).toBe(1);
    await after.close();
  });

  it('refuses new ids with DEDUPE_FULL at dedupeMaxEntries, still answers known ones', async () => {
    const { server, url } = await start({ dedupeMaxEntries: 2 });
    const runs = counting(server);
    const client = await RawClient.connect(url, 'c1');
    client.send(['m1', 'm2'].map((id) => ({ type: 'data', id, name: 'ORDER' })));
    await client.acks(['m1', 'm2']);
    client.message('m3', 'ORDER');
    const refused = await client.next();
    expect(refused).toMatchObject({
      type: 'nack',
      id: 'm3',
      code: 'DEDUPE_FULL',
      retryAfter: expect.any(Number),
    });
    expect(refused.retryAfter).toBeGreaterThan(500_000);
    client.message('m1', 'ORDER');
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: { orderId: 'o1' } });
    expect(runs.has('m3')).toBe(false);
    expect(server.stats().dedupeEntries).toBe(2);
    await client.close();
  });

  it('works with an asynchronous DedupeStore plugged in through `dedupeStore`', async () => {
    const memory = new MemoryDedupeStore();
    const calls: string[] = [];
    const tick = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(value)));
    const store: DedupeStore = {
      get: (key, now) => (calls.push('get'), tick(memory.get(key, now))),
      begin: (key, expiresAt) => (calls.push('begin'), tick(memory.begin(key, expiresAt))),
      complete: (key, outcome: DedupeOutcome, expiresAt) => (
        calls.push('complete'),
        tick(memory.complete(key, outcome, expiresAt))
      ),
      evictExpired: (now) => tick(memory.evictExpired(now)),
    };
    const { server, url } = await start({ dedupeStore: store });
    const runs = counting(server);
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'ORDER');
    client.message('m1', 'ORDER'); // arrives while the store is still being asked about the first
    const answers = [await client.next(), await client.next()];
    client.message('m1', 'ORDER');
    answers.push(await client.next());
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ type: 'ack', id: 'm1', response: { orderId: 'o1' } })]),
    );
    expect(runs.get('m1')).toBe(1);
    expect(calls).toEqual(['get', 'begin', 'complete', 'get']);
    expect(server.stats().dedupeEntries).toBe(-1);
    await client.close();
  });

  it('reports a failing store and refuses the message instead of running it unguarded', async () => {
    const failing: DedupeStore = {
      get: () => Promise.reject(new Error('store down')),
      begin: () => ({ status: 'started' }),
      complete: () => undefined,
      evictExpired: () => 0,
    };
    const { server, url } = await start({ dedupeStore: failing });
    const runs = counting(server);
    const error = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'error')));
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'ORDER');
    expect(await client.next()).toMatchObject({ type: 'nack', id: 'm1', code: 'DEDUPE_UNAVAILABLE' });
    expect(await error).toMatchObject({
      error: expect.objectContaining({ message: 'store down' }),
      clientId: 'c1',
    });
    expect(runs.size).toBe(0);
    await client.close();
  });
});

describe('MemoryDedupeStore', () => {
  const ok = (response: unknown): DedupeOutcome => ({ ok: true, response });

  it('holds an id as pending from begin to complete, then remembers the outcome until it expires', () => {
    const store = new MemoryDedupeStore({ now: () => 0 });
    expect(store.get('k', 0)).toBeUndefined();
    expect(store.begin('k', 100)).toEqual({ status: 'started' });
    expect(store.get('k', 0)).toBe('pending');
    expect(store.begin('k', 100)).toEqual({ status: 'exists' });
    store.complete('k', ok(1), 100);
    expect(store.get('k', 99)).toEqual(ok(1));
    expect(store.begin('k', 200)).toEqual({ status: 'exists' });
    expect(store.get('k', 100)).toBeUndefined();
  });

  it('evicts only expired entries, stopping at the first live one', () => {
    const store = new MemoryDedupeStore();
    for (const [key, expiresAt] of [
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ] as const) {
      store.begin(key, expiresAt);
      store.complete(key, ok(key), expiresAt);
    }
    store.begin('pending', 5);
    expect(store.evictExpired(20)).toBe(2);
    expect(store.size()).toBe(2);
    expect(store.get('c', 20)).toEqual(ok('c'));
    expect(store.get('pending', 1000)).toBe('pending');
  });

  it('keeps expiries non-decreasing so a late, shorter expiry cannot hide live entries from the sweep', () => {
    const store = new MemoryDedupeStore();
    store.begin('long', 0);
    store.complete('long', ok(1), 100);
    store.begin('short', 0);
    store.complete('short', ok(2), 50);
    expect(store.evictExpired(60)).toBe(0);
    expect(store.get('short', 60)).toEqual(ok(2));
    expect(store.evictExpired(100)).toBe(2);
  });

  it('at maxEntries refuses with the time until the oldest entry expires, and frees room once it has', () => {
    let now = 0;
    const store = new MemoryDedupeStore({ maxEntries: 2, now: () => now });
    store.begin('a', 0);
    store.complete('a', ok('a'), 1000);
    store.begin('b', 0);
    expect(store.begin('c', 0)).toEqual({ status: 'full', retryAfterMs: 1000 });
    now = 400;
    expect(store.begin('c', 0)).toEqual({ status: 'full', retryAfterMs: 600 });
    now = 1000;
    expect(store.begin('c', 0)).toEqual({ status: 'started' });
    expect(store.get('a', now)).toBeUndefined();
  });

  it('after a lookup that found nothing, still refuses a begin for an id completed in between', () => {
    const store = new MemoryDedupeStore({ now: () => 0 });
    expect(store.get('k', 0)).toBeUndefined();
    store.complete('k', ok(1), 100);
    expect(store.begin('k', 100)).toEqual({ status: 'exists' });
    expect(store.get('k', 0)).toEqual(ok(1));
    expect(store.size()).toBe(1);
  });

  it('moves a completed id that is completed again to the end of the sweep order, once', () => {
    const store = new MemoryDedupeStore({ now: () => 0 });
    store.complete('a', ok('a'), 10);
    store.complete('b', ok('b'), 20);
    store.complete('a', ok('a2'), 30);
    expect(store.size()).toBe(2);
    expect(store.evictExpired(20)).toBe(1);
    expect(store.get('a', 20)).toEqual(ok('a2'));
    expect(store.get('b', 20)).toBeUndefined();
  });

  it('suggests a short retry when the cap is all pending entries', () => {
    const store = new MemoryDedupeStore({ maxEntries: 1, now: () => 0 });
    store.begin('a', 0);
    expect(store.begin('b', 0)).toEqual({ status: 'full', retryAfterMs: 1000 });
  });

  it('rejects a bad maxEntries', () => {
    expect(() => new MemoryDedupeStore({ maxEntries: 0 })).toThrow(TypeError);
  });
});
