import type { DedupeOutcome, DedupeStore } from '../../src/server/dedupe-store';
import { sessionKey } from '../../src/server/session-registry';

/** Makes a fresh, empty store for one case; `dispose` (if given) releases it. */
export type MakeDedupeStore = () => Promise<{ store: DedupeStore; dispose?: () => Promise<void> | void }>;

const TTL = 60_000;

/**
 * The DedupeStore contract, run unchanged against every implementation
 * (memory, file, Redis): claim once, remember outcomes verbatim, keep keys
 * apart, forget after the window. Optional methods (`claim`, `waitFor`)
 * are checked where the store has them.
 */
export function describeDedupeStore(name: string, make: MakeDedupeStore): void {
  describe(`DedupeStore contract: ${name}`, () => {
    let store: DedupeStore;
    let dispose: (() => Promise<void> | void) | undefined;
    let n = 0;
    const key = (id = `m-${++n}`, principal = 'alice', clientId = 'c-1'): string =>
      sessionKey(principal, clientId) + id;

    beforeEach(async () => {
      ({ store, dispose } = await make());
      await store.ready;
    });
    afterEach(async () => {
      await dispose?.();
    });

    it('knows nothing of an id never seen', async () => {
      expect(await store.get(key(), Date.now())).toBeUndefined();
    });

    it('claims an id once; a second claim finds it taken and it reads as pending', async () => {
      const k = key();
      expect(await store.begin(k, Date.now() + TTL)).toEqual({ status: 'started' });
      expect(await store.begin(k, Date.now() + TTL)).toEqual({ status: 'exists' });
      expect(await store.get(k, Date.now())).toBe('pending');
    });

    it('lets exactly one of many concurrent claims of one id start', async () => {
      const k = key();
      const claims = await Promise.all(Array.from({ length: 20 }, () => store.begin(k, Date.now() + TTL)));
      expect(claims.filter((c) => c.status === 'started')).toHaveLength(1);
    });

    it('remembers an outcome verbatim, ack and nack', async () => {
      const ok: DedupeOutcome = {
        ok: true,
        response: { orderId: 'o-1', fills: [1.5, 2], note: 'ünïcødé 💹' },
      };
      const nack: DedupeOutcome = { ok: false, code: 'REJECTED', message: 'no margin' };
      const [a, b] = [key(), key()];
      await store.begin(a, Date.now() + TTL);
      await store.begin(b, Date.now() + TTL);
      await store.complete(a, ok, Date.now() + TTL);
      await store.complete(b, nack, Date.now() + TTL);
      expect(await store.get(a, Date.now())).toEqual(ok);
      expect(await store.get(b, Date.now())).toEqual(nack);
      expect(await store.begin(a, Date.now() + TTL)).toEqual({ status: 'exists' });
    });

    it('keeps apart ids that differ only in principal, clientId, braces or lone surrogates', async () => {
      const keys = [
        key('x', 'alice', 'c'),
        key('x', 'bob', 'c'),
        key('x', 'alice', 'd'),
        key('{x}', 'alice', 'c'),
        key('x', 'ali{ce}', 'c'),
        key('\uD800', 'alice', 'c'),
        key('\uDBFF', 'alice', 'c'),
        key('\uFFFD', 'alice', 'c'),
      ];
      for (const k of keys) expect(await store.begin(k, Date.now() + TTL)).toEqual({ status: 'started' });
      for (const [i, k] of keys.entries())
        await store.complete(k, { ok: true, response: i }, Date.now() + TTL);
      for (const [i, k] of keys.entries())
        expect(await store.get(k, Date.now())).toEqual({ ok: true, response: i });
    });

    it('forgets an outcome once its window has passed, and the id can be claimed again', async () => {
      const k = key();
      await store.begin(k, Date.now() + 200);
      await store.complete(k, { ok: true }, Date.now() + 200);
      expect(await store.get(k, Date.now())).toEqual({ ok: true });
      let gone = false;
      const deadline = Date.now() + 3000;
      while (!gone && Date.now() < deadline) {
        await store.evictExpired(Date.now());
        gone = (await store.get(k, Date.now())) === undefined;
        if (!gone) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(gone).toBe(true);
      expect(await store.begin(k, Date.now() + TTL)).toEqual({ status: 'started' });
    });

    it('records an outcome completed without a claim (idempotent complete)', async () => {
      const k = key();
      await store.complete(k, { ok: true, response: 1 }, Date.now() + TTL);
      await store.complete(k, { ok: true, response: 1 }, Date.now() + TTL);
      expect(await store.get(k, Date.now())).toEqual({ ok: true, response: 1 });
    });

    it('claim, where offered, starts a new id, returns a remembered outcome, reports a held one as pending', async () => {
      if (store.claim === undefined) return;
      const [a, b] = [key(), key()];
      expect(await store.claim(a, Date.now() + TTL)).toEqual({ status: 'started' });
      await store.complete(a, { ok: true, response: 'a' }, Date.now() + TTL);
      expect(await store.claim(a, Date.now() + TTL)).toEqual({
        status: 'done',
        outcome: { ok: true, response: 'a' },
      });
      expect(await store.claim(b, Date.now() + TTL)).toEqual({ status: 'started' });
      expect((await store.claim(b, Date.now() + TTL)).status).toBe('pending');
    });

    it('waitFor, where offered, resolves with the outcome once it is completed', async () => {
      if (store.waitFor === undefined) return;
      const k = key();
      await store.begin(k, Date.now() + TTL);
      const waiting = store.waitFor(k);
      setTimeout(() => void store.complete(k, { ok: true, response: 'late' }, Date.now() + TTL), 50);
      expect(await waiting).toEqual({ ok: true, response: 'late' });
    });
  });
}
