import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import type { BenchEnv, BenchResult } from './harness';

/** A bench that did not finish: reported as a row with its error, not dropped. */
export interface BenchFailure {
  name: string;
  error: string;
}

export type ReportRow = BenchResult | BenchFailure;

export interface ReportMeta {
  env: Omit<BenchEnv, 'only'>;
  /** Name of the row the ratios divide by. */
  baseline: string;
  date: string;
  node: string;
  cpu: string;
  cores: number;
}

export function reportMeta(env: BenchEnv, baseline: string): ReportMeta {
  const { only: _only, ...rest } = env;
  const cpus = os.cpus();
  return {
    env: rest,
    baseline,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
  };
}

function isResult(row: ReportRow): row is BenchResult {
  return 'messagesPerSec' in row;
}

/** A plain-text table, with each row's throughput as a ratio of the baseline's. */
export function formatReport(rows: ReportRow[], meta: ReportMeta): string {
  const base = rows.filter(isResult).find((row) => row.name === meta.baseline);
  const header = [
    'bench',
    'acked msg/s',
    `ratio vs ${meta.baseline}`,
    'RTT p50 ms',
    'RTT p99 ms',
    'CPU µs/msg',
  ];
  const lines = rows.map((row) =>
    isResult(row)
      ? [
          row.name,
          Math.round(row.messagesPerSec).toLocaleString('en-US'),
          base ? `${(row.messagesPerSec / base.messagesPerSec).toFixed(2)}x` : 'n/a',
          row.p50Ms.toFixed(2),
          row.p99Ms.toFixed(2),
          row.cpuUsPerMsg.toFixed(1),
        ]
      : [row.name, `FAILED: ${row.error}`, '', '', '', ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const { env } = meta;
  const cpuScope =
    env.serverMode === 'inproc' ? 'CPU = whole process (client + server)' : 'CPU = client process only';
  return [
    `${env.messages} messages, window ${env.window}, median of ${env.runs} runs; server ${env.serverMode}; ${cpuScope}`,
    `${meta.node} on ${meta.cpu} (${meta.cores} cores), ${meta.date}`,
    '',
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.map(format),
  ].join('\n');
}

/** Writes the rows and the conditions they were measured in as JSON. */
export async function writeResults(file: string, rows: ReportRow[], meta: ReportMeta): Promise<void> {
  await writeFile(file, `${JSON.stringify({ meta, results: rows }, null, 2)}\n`);
}
