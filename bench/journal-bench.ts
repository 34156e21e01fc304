/**
 * FileStorageAdapter durable write throughput: `npx tsx bench/journal-bench.ts`.
 * Group commit (many writers, one fsync per batch) against one fsync per record.
 * Each row is the median of 5 runs after one warm-up run, each in a fresh directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileStorageAdapter } from '../src/storage/file-storage-adapter';

export interface BenchRow {
  name: string;
  opsPerSec: number;
  ops: number;
  medianMs: number;
  runs: number;
  /** fsyncs in the median run: group commit shows here. */
  fsyncs: number;
}

const RUNS = 5;

/** A queued message as MessageQueue persists it (~200 bytes of JSON). */
function record(i: number) {
  return {
    id: `k3j9x0c2b7a1q8z4-${i.toString(36)}`,
    type: 'TRADE_SIGNAL',
    payload: { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.18, takeProfit: 1.19 },
    priority: 3,
    createdAt: 1_700_000_000_000 + i,
    expiresAt: 1_700_000_300_000 + i,
    seq: i,
  };
}

/** Writes `count` records with `writers` concurrent writers, each awaiting its own write before the next. */
async function writeAll(
  count: number,
  writers: number,
  fsync = true,
): Promise<{ ms: number; fsyncs: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxws-bench-'));
  const storage = new FileStorageAdapter(dir, { fsync });
  await storage.ready;
  try {
    let next = 0;
    const writer = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) await storage.setItem(`q:m:${i}`, record(i));
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: writers }, writer));
    const ms = performance.now() - t0;
    return { ms, fsyncs: storage.stats.fsyncs };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(name: string, count: number, writers: number, fsync = true): Promise<BenchRow> {
  await writeAll(Math.min(count, 10_000), writers, fsync);
  const results: { ms: number; fsyncs: number }[] = [];
  for (let r = 0; r < RUNS; r++) results.push(await writeAll(count, writers, fsync));
  results.sort((a, b) => a.ms - b.ms);
  const median = results[RUNS >> 1];
  return {
    name,
    opsPerSec: Math.round(count / (median.ms / 1000)),
    ops: count,
    medianMs: Number(median.ms.toFixed(2)),
    runs: RUNS,
    fsyncs: median.fsyncs,
  };
}

export async function run(): Promise<BenchRow[]> {
  return [
    await measure('group commit, 100k records, 1000 writers', 100_000, 1000),
    await measure('group commit, 100k records, 100 writers', 100_000, 100),
    await measure('group commit, 100k records, all at once', 100_000, 100_000),
    await measure('fsync per record, 1k records, 1 writer', 1000, 1),
    await measure('no fsync, 100k records, 1000 writers', 100_000, 1000, false),
  ];
}

export function printTable(rows: BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(
    `${'benchmark'.padEnd(width)}  ${'records/s'.padStart(10)}  ${'records'.padStart(8)}  ${'fsyncs'.padStart(7)}  median ms`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${r.opsPerSec.toLocaleString('en-US').padStart(10)}  ${String(r.ops).padStart(8)}  ${String(r.fsyncs).padStart(7)}  ${r.medianMs}`,
    );
  }
}

if (require.main === module) {
  run().then(printTable, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
