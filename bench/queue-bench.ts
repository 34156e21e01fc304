/**
 * MessageQueue throughput, in memory (no persistence): `npx tsx bench/queue-bench.ts`.
 * Each row is the median of 5 runs after one warm-up run.
 */
import { MessagePriority } from '../src/protocol/enums';
import { MessageQueue } from '../src/queue/message-queue';
import { Outbox } from '../src/queue/outbox';
import { MemoryStorageAdapter } from '../src/storage/memory-storage-adapter';

export interface BenchRow {
  name: string;
  opsPerSec: number;
  ops: number;
  medianMs: number;
  runs: number;
}

const N = 100_000;
const RUNS = 5;
const PRIORITIES = [
  MessagePriority.LOW,
  MessagePriority.NORMAL,
  MessagePriority.HIGH,
  MessagePriority.CRITICAL,
];

function config(persist: boolean) {
  return {
    maxSize: N * 2,
    enablePersistence: persist,
    storageKey: 'bench',
    defaultPriority: MessagePriority.NORMAL,
    defaultTTL: 300_000,
  };
}

/** Runs `body` once to warm up, then RUNS times; reports the median. `body` returns its op count. */
async function measure(name: string, body: () => number | Promise<number>): Promise<BenchRow> {
  await body();
  const times: number[] = [];
  let ops = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    ops = await body();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const medianMs = times[RUNS >> 1];
  return {
    name,
    opsPerSec: Math.round(ops / (medianMs / 1000)),
    ops,
    medianMs: Number(medianMs.toFixed(2)),
    runs: RUNS,
  };
}

export async function run(): Promise<BenchRow[]> {
  const payload = { symbol: 'EURUSD', action: 'BUY', volume: 0.1 };
  const rows: BenchRow[] = [];

  rows.push(
    await measure(`enqueue ${N / 1000}k then dequeue ${N / 1000}k (one priority)`, () => {
      const q = new MessageQueue(config(false));
      for (let i = 0; i < N; i++) void q.enqueue({ type: 'TRADE_SIGNAL', payload });
      for (let i = 0; i < N; i++) q.dequeue();
      return 2 * N;
    }),
  );

  rows.push(
    await measure(`enqueue ${N / 1000}k then dequeue ${N / 1000}k (4 priorities)`, () => {
      const q = new MessageQueue(config(false));
      for (let i = 0; i < N; i++)
        void q.enqueue({ type: 'TRADE_SIGNAL', payload }, { priority: PRIORITIES[i & 3] });
      for (let i = 0; i < N; i++) q.dequeue();
      return 2 * N;
    }),
  );

  rows.push(
    await measure(`interleaved enqueue+dequeue ${N / 1000}k (depth 1000)`, () => {
      const q = new MessageQueue(config(false));
      for (let i = 0; i < 1000; i++) void q.enqueue({ type: 'T', payload }, { priority: PRIORITIES[i & 3] });
      for (let i = 0; i < N; i++) {
        void q.enqueue({ type: 'T', payload }, { priority: PRIORITIES[i & 3] });
        q.dequeue();
      }
      return 2 * N;
    }),
  );

  rows.push(
    await measure(`outbox drain ${N / 1000}k (enqueue, lease, settle; window 1000)`, () => {
      const q = new MessageQueue(config(false));
      const outbox = new Outbox(q, { maxInFlight: 1000 });
      const inFlight: string[] = [];
      outbox.drain$.subscribe((m) => {
        inFlight.push(m.id);
      });
      outbox.setGate(true);
      for (let i = 0; i < N; i++) {
        void q.enqueue({ type: 'T', payload });
        if (inFlight.length >= 1000) for (const id of inFlight.splice(0)) void outbox.settle(id);
      }
      for (const id of inFlight.splice(0)) void outbox.settle(id);
      outbox.dispose();
      return 3 * N;
    }),
  );

  rows.push(
    await measure(`persisted (MemoryStorageAdapter) enqueue+dequeue 10k`, async () => {
      const q = new MessageQueue(config(true), new MemoryStorageAdapter());
      await q.ready;
      const accepted: Promise<unknown>[] = [];
      for (let i = 0; i < 10_000; i++) accepted.push(q.enqueue({ type: 'T', payload }));
      await Promise.all(accepted);
      for (let i = 0; i < 10_000; i++) q.dequeue();
      await q.close();
      return 20_000;
    }),
  );

  return rows;
}

export function printTable(rows: BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'benchmark'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'ops'.padStart(8)}  median ms`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${r.opsPerSec.toLocaleString('en-US').padStart(12)}  ${String(r.ops).padStart(8)}  ${r.medianMs}`,
    );
  }
}

if (require.main === module) {
  run().then(printTable, (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
