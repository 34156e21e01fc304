// Entry of the side-by-side benchmark: `npx tsx bench/run.ts` (env knobs in bench/harness.ts readBenchEnv).
import * as path from 'node:path';
import { readBenchEnv, type BenchEntry, type BenchOptions } from './harness';
import { ourBenches } from './ours';
import { BARE_WS_NAME, bench as bareWs } from './peers/bare-ws';
import { bench as mqttQos1 } from './peers/mqtt';
import { bench as socketIo, benchWithRetries as socketIoRetries } from './peers/socket-io';
import { formatReport, reportMeta, writeResults, type ReportRow } from './report';
import { run as runQueueBench, printTable as printQueueTable } from './queue-bench';
import { run as runJournalBench, printTable as printJournalTable } from './journal-bench';

/** Every row of the report, in order. The first is the baseline of the ratio column. */
const benches: BenchEntry[] = [
  { name: BARE_WS_NAME, bench: bareWs },
  { name: 'socket.io emitWithAck', bench: socketIo },
  { name: 'socket.io retries', bench: socketIoRetries },
  { name: 'MQTT.js QoS 1 (aedes)', bench: mqttQos1 },
  // TODO: our client rows are registered in bench/ours.ts
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

async function main(): Promise<void> {
  const env = readBenchEnv();
  const opts: BenchOptions = { messages: env.messages, window: env.window };
  const selected = benches.filter((b) => !env.only || b.name.toLowerCase().includes(env.only.toLowerCase()));
  const rows: ReportRow[] = [];
  const budgetMs = (env.runs + 1) * env.runTimeoutMs + SETUP_MARGIN_MS;
  for (const [i, entry] of selected.entries()) {
    const started = Date.now();
    process.stderr.write(`[${i + 1}/${selected.length}] ${entry.name} ...\n`);
    try {
      const result = await bounded(entry.bench(opts), budgetMs, entry.name);
      rows.push({ ...result, name: entry.name });
      process.stderr.write(
        `[${i + 1}/${selected.length}] ${entry.name}: ${Math.round(result.messagesPerSec)} msg/s ` +
          `(${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      rows.push({ name: entry.name, error: message });
      process.stderr.write(`[${i + 1}/${selected.length}] ${entry.name}: FAILED ${message}\n`);
      process.exitCode = 1;
    }
  }
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
  const file = path.join(__dirname, 'results.json');
  await writeResults(file, rows, meta);
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
