// Entry of the side-by-side benchmark: `npx tsx bench/run.ts` (env knobs in bench/harness.ts readBenchEnv).
import * as path from 'node:path';
import {
  median,
  readBenchEnv,
  type BenchEntry,
  type BenchEnv,
  type BenchOptions,
  type BenchResult,
} from './harness';
import { ourBenches } from './ours';
import {
  BARE_WS_NAME,
  BARE_WS_PROMISE_NAME,
  bench as bareWs,
  benchWithPromises as bareWsPromises,
} from './peers/bare-ws';
import { bench as mqttQos1 } from './peers/mqtt';
import { bench as socketIo, benchWithRetries as socketIoRetries } from './peers/socket-io';
import { formatReport, reportMeta, writeResults, type ReportRow } from './report';
import { run as runQueueBench, printTable as printQueueTable } from './queue-bench';
import { run as runJournalBench, printTable as printJournalTable } from './journal-bench';
import { formatPushTable, readPushEnv, runPushBench, type PushResult } from './push-bench';

/** Every row of the report, in order. The first is the baseline of the ratio column. */
const benches: BenchEntry[] = [
  { name: BARE_WS_NAME, bench: bareWs },
  { name: BARE_WS_PROMISE_NAME, bench: bareWsPromises },
  { name: 'socket.io emitWithAck', bench: socketIo },
  { name: 'socket.io retries', bench: socketIoRetries },
  { name: 'MQTT.js QoS 1 (aedes)', bench: mqttQos1 },
  // Our client's rows (in-process, file journal, Redis) are listed in bench/ours.ts.
  ...ourBenches,
];

/** Extra time a bench gets beyond its runs' own bounds, for connecting and closing. */
const SETUP_MARGIN_MS = 30_000;

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Each figure's median over the rounds a bench finished. */
function medianResult(name: string, results: BenchResult[]): BenchResult {
  const med = (pick: (r: BenchResult) => number) => median(results.map(pick));
  return {
    name,
    messagesPerSec: med((r) => r.messagesPerSec),
    p50Ms: med((r) => r.p50Ms),
    p99Ms: med((r) => r.p99Ms),
    cpuUsPerMsg: med((r) => r.cpuUsPerMsg),
    gcPct: med((r) => r.gcPct),
    bytesPerMsg: med((r) => r.bytesPerMsg),
    promotedPerMsg: med((r) => r.promotedPerMsg),
    serialP50Us: med((r) => r.serialP50Us),
    serialP99Us: med((r) => r.serialP99Us),
    roundMessagesPerSec: results.map((r) => r.messagesPerSec),
  };
}

/**
 * Where this run's figures go: BENCH_RESULTS if set, else bench/results.json for the README's
 * full run only (every row, window 1000, 50,000 messages), so a burst or single-row run does not
 * replace the figures the README quotes.
 */
function resultsFile(env: BenchEnv): string | undefined {
  if (process.env.BENCH_RESULTS) return path.resolve(process.env.BENCH_RESULTS);
  const defaults = readBenchEnv({});
  const full = !env.only && env.window === defaults.window && env.messages === defaults.messages;
  return full ? path.join(__dirname, 'results.json') : undefined;
}

/**
 * Alternating rounds: each round runs every selected bench once (warm-up, one
 * measured run, one one-at-a-time run), starting one row later than the round
 * before, so the machine's drift and the other processes on it fall on every
 * row alike. Each figure is the median over the rounds.
 */
async function main(): Promise<void> {
  const env = readBenchEnv();
  const opts: BenchOptions = { messages: env.messages, window: env.window, runs: 1, serial: env.serial };
  const selected = benches.filter((b) => !env.only || b.name.toLowerCase().includes(env.only.toLowerCase()));
  const results = new Map<string, BenchResult[]>(selected.map((b) => [b.name, []]));
  const failures = new Map<string, string>();
  const budgetMs = 3 * env.runTimeoutMs + SETUP_MARGIN_MS;
  for (let round = 0; round < env.runs; round += 1) {
    for (let k = 0; k < selected.length; k += 1) {
      const entry = selected[(round + k) % selected.length];
      if (failures.has(entry.name)) continue;
      const started = Date.now();
      const tag = `[round ${round + 1}/${env.runs}] ${entry.name}`;
      try {
        const result = await bounded(entry.bench(opts), budgetMs, entry.name);
        results.get(entry.name)!.push(result);
        process.stderr.write(
          `${tag}: ${Math.round(result.messagesPerSec)} msg/s, ${result.cpuUsPerMsg.toFixed(1)} µs CPU/msg, ` +
            `GC ${result.gcPct.toFixed(1)} %, ${Math.round(result.bytesPerMsg)} B/msg ` +
            `(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.set(entry.name, message);
        process.stderr.write(`${tag}: FAILED ${message}\n`);
        process.exitCode = 1;
      }
    }
  }
  const rows: ReportRow[] = selected.map((entry) => {
    const error = failures.get(entry.name);
    return error !== undefined
      ? { name: entry.name, error }
      : medianResult(entry.name, results.get(entry.name)!);
  });
  const meta = reportMeta(env, BARE_WS_NAME);
  console.log(formatReport(rows, meta));
  if (!env.only) {
    // The building blocks on their own: the queue in memory, and the journal's durable writes.
    process.stderr.write('queue and journal benches ...\n');
    console.log('\nIn-memory queue (100k messages; target >= 1M ops/s)');
    printQueueTable(await runQueueBench());
    console.log('\nFile journal, durable writes (target >= 100k records/s with group commit)');
    printJournalTable(await runJournalBench());
  }
  let push: PushResult[] | undefined;
  if (!env.only || env.only.toLowerCase() === 'push') {
    // Server -> client push (issue 10), in this same process run: reliable publish vs our at-most-once send.
    process.stderr.write('push benches ...\n');
    const pushEnv = readPushEnv(env.runs);
    push = await runPushBench(pushEnv);
    console.log(`\n${formatPushTable(push, pushEnv.messages, pushEnv.rounds)}`);
  }
  const file = resultsFile(env);
  if (file === undefined) {
    process.stderr.write(
      'a partial run (BENCH_ONLY, BENCH_WINDOW or BENCH_MESSAGES set): bench/results.json kept; BENCH_RESULTS=<file> writes this one\n',
    );
    return;
  }
  await writeResults(file, rows, meta, push);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    // A peer that leaves a handle open must not keep the run alive.
    setTimeout(() => process.exit(), 2000).unref();
  });
