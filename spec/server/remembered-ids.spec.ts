import fc from 'fast-check';
import type { DedupeOutcome } from '../../src/server/dedupe-store';
import { RememberedIds } from '../../src/server/remembered-ids';

const OK: DedupeOutcome = { ok: true };
const NACK: DedupeOutcome = { ok: false, code: 'X', message: 'x' };

/** Keys as the server builds them, and near misses: leading zeros, upper case, long or no counters. */
const key = fc.oneof(
  fc
    .tuple(fc.constantFrom('1:a1:b:', '1:a1:c:', '2:ab1:b:'), fc.constantFrom('p-', 'q-', ''), fc.nat(40))
    .map(([session, prefix, n]) => session + prefix + n.toString(36)),
  fc.constantFrom(
    '0',
    '00',
    'a-0',
    'a-00',
    'a-01',
    'a-A',
    'a-',
    '',
    'zz',
    '1:a1:b:p-zzzzzzzzzzz',
    'x-zzzzzzzzzz',
  ),
  fc.string({ maxLength: 6 }),
  // Many prefixes holding one or two ids each (a prefix's first id is held without a Map).
  fc.tuple(fc.nat(12), fc.nat(2)).map(([prefix, n]) => `s:${prefix}-${n}`),
);

type Op =
  | { op: 'add'; key: string; nack: boolean; later: number }
  | { op: 'remove'; key: string }
  | { op: 'evict'; now: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), key, nack: fc.boolean(), later: fc.nat(3) }),
  fc.record({ op: fc.constant('remove' as const), key }),
  fc.record({ op: fc.constant('evict' as const), now: fc.nat(100) }),
);

interface ModelEntry {
  outcome: DedupeOutcome;
  expiresAt: number;
}

describe('RememberedIds', () => {
  it.each([
    ['', undefined],
    [', renumbered often', 8],
  ])('answers as a Map in completion order would, for any keys%s', (_, maxSeq) => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const ids = new RememberedIds(maxSeq);
        const model = new Map<string, ModelEntry>();
        let lastExpiry = 0;
        for (const o of ops) {
          if (o.op === 'add') {
            const slot = ids.find(o.key);
            if (slot >= 0) ids.remove(slot);
            model.delete(o.key);
            lastExpiry += o.later;
            const outcome = o.nack ? NACK : OK;
            ids.add(o.key, outcome, lastExpiry);
            model.set(o.key, { outcome, expiresAt: lastExpiry });
          } else if (o.op === 'remove') {
            const slot = ids.find(o.key);
            expect(slot >= 0).toBe(model.has(o.key));
            if (slot >= 0) ids.remove(slot);
            model.delete(o.key);
          } else {
            let evicted = 0;
            for (const [k, e] of model) {
              if (e.expiresAt > o.now) break;
              model.delete(k);
              evicted++;
            }
            expect(ids.evictExpired(o.now)).toBe(evicted);
          }
          expect(ids.size).toBe(model.size);
          expect(ids.oldestExpiry()).toBe(model.values().next().value?.expiresAt);
        }
        for (const o of ops) {
          if (o.op === 'evict') continue;
          const slot = ids.find(o.key);
          const entry = model.get(o.key);
          expect(slot >= 0).toBe(entry !== undefined);
          if (entry !== undefined) {
            expect(ids.outcome(slot)).toBe(entry.outcome);
            expect(ids.expiresAt(slot)).toBe(entry.expiresAt);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps ids that differ only by a leading zero or the prefix apart', () => {
    const ids = new RememberedIds();
    ids.add('s:p-1', OK, 1);
    expect(ids.find('s:p-01')).toBe(-1);
    expect(ids.find('s:q-1')).toBe(-1);
    expect(ids.find('s:p1')).toBe(-1);
    ids.add('s:p-01', NACK, 2);
    expect(ids.outcome(ids.find('s:p-1'))).toBe(OK);
    expect(ids.outcome(ids.find('s:p-01'))).toBe(NACK);
  });

  it('gives the memory of a burst back once it has expired, and keeps the rest', () => {
    const ids = new RememberedIds();
    for (let i = 0; i < 5000; i++) ids.add(`s:p-${i.toString(36)}`, OK, i < 4990 ? 1 : 2);
    expect(ids.evictExpired(1)).toBe(4990);
    expect(ids.size).toBe(10);
    for (let i = 4990; i < 5000; i++) expect(ids.expiresAt(ids.find(`s:p-${i.toString(36)}`))).toBe(2);
    expect((ids as unknown as { owners: unknown[] }).owners.length).toBeLessThan(5000);
  });

  it('stays as large as its live entries across many windows', () => {
    const ids = new RememberedIds();
    for (let i = 0; i < 10_000; i++) {
      ids.add(`s:p-${i.toString(36)}`, OK, i);
      ids.evictExpired(i - 10);
    }
    expect(ids.size).toBe(10);
    expect(ids.find('s:p-0')).toBe(-1);
    expect(ids.find(`s:p-${(9_999).toString(36)}`)).toBeGreaterThanOrEqual(0);
  });
});
