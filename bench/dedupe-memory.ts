/**
 * What the server's default dedupe store costs per remembered message id:
 * `node --expose-gc --import tsx bench/dedupe-memory.ts` (BENCH_DEDUPE_IDS, default 1,000,000).
 * Keys are built as the dispatcher builds them (session key + message id), once with the
 * reference client's ids (a prefix and a counter, packed by the store), once with
 * opaque ids (UUID-like, kept whole) and once with ids that each bring a new prefix.
 */
import { randomUUID } from 'node:crypto';
import { MemoryDedupeStore } from '../src/server/dedupe-store';
import { sessionKey } from '../src/server/session-registry';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/dedupe-memory.ts');
const ids = Number(process.env.BENCH_DEDUPE_IDS ?? 1_000_000);
const session = sessionKey('principal-of-an-account', 'a1b2c3d4e5f6a7b8');
const ok = { ok: true } as const;

function measure(label: string, idOf: (i: number) => string): void {
  // The opaque ids are drawn before measuring: only the store's share of them counts.
  const opaque = label === 'opaque' ? Array.from({ length: ids }, (_, i) => idOf(i)) : undefined;
  gc!();
  const before = process.memoryUsage().heapUsed;
  const store = new MemoryDedupeStore({ maxEntries: ids });
  const started = performance.now();
  for (let i = 0; i < ids; i++) {
    const key = session + (opaque?.[i] ?? idOf(i));
    store.begin(key, 0);
    store.complete(key, ok, Date.now() + 600_000);
  }
  const elapsedMs = performance.now() - started;
  gc!();
  const perId = (process.memoryUsage().heapUsed - before) / ids;
  if (opaque !== undefined && opaque.length !== ids) throw new Error('unreachable'); // keeps them alive to here
  console.log(
    `${label} ids: ${store.size()} remembered, ${Math.round(perId)} B of heap per id, ` +
      `${((elapsedMs * 1000) / ids).toFixed(2)} µs per begin + complete`,
  );
}

measure('prefix + counter', (i) => `k3j9x0c2b7a1q8z4-${i.toString(36)}`);
measure('opaque', () => randomUUID());
measure('a new prefix each', (i) => `h${i.toString(36)}x-0`);
