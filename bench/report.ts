import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { median, type BenchEnv, type BenchResult } from './harness';
import { BARE_WS_PROMISE_NAME as PROMISE_FLOOR } from './peers/bare-ws';

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
    '1-by-1 p50/p99 µs',
    'CPU µs/msg',
    'GC %',
    'alloc B/msg',
    'promoted B/msg',
  ];
  const us = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : '-');
  const lines = rows.map((row) =>
    isResult(row)
      ? [
          row.name,
          Math.round(row.messagesPerSec).toLocaleString('en-US'),
          base ? `${(row.messagesPerSec / base.messagesPerSec).toFixed(2)}x` : 'n/a',
          row.p50Ms.toFixed(2),
          row.p99Ms.toFixed(2),
          `${us(row.serialP50Us)} / ${us(row.serialP99Us)}`,
          row.cpuUsPerMsg.toFixed(1),
          row.gcPct.toFixed(1),
          Math.round(row.bytesPerMsg).toLocaleString('en-US'),
          Number.isFinite(row.promotedPerMsg) ? Math.round(row.promotedPerMsg).toLocaleString('en-US') : '-',
        ]
      : [row.name, `FAILED: ${row.error}`, '', '', '', '', '', '', '', ''],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const { env } = meta;
  const scope =
    env.serverMode === 'inproc'
      ? 'CPU, GC and alloc = the one process (client + server)'
      : 'CPU, GC and alloc = client process + server child, added';
  return [
    `${env.messages} messages, window ${env.window}, medians of ${env.runs} alternating rounds; server ${env.serverMode}; ${scope}`,
    `1-by-1 = ${env.serial} messages sent one at a time (window 1); GC % = GC pauses / run wall time; promoted = moved to old space by scavenges`,
    `${meta.node} on ${meta.cpu} (${meta.cores} cores), ${meta.date}`,
    '',
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.map(format),
    ...formatTargets(rows, meta),
  ].join('\n');
}

/** Our rows' names, as bench/ours.ts registers them. */
const OURS = 'rx-reliable-ws';
const OURS_DURABLE = 'rx-reliable-ws + file journal';
const OURS_REDIS = 'rx-reliable-ws server on Redis';

/**
 * Issue 12's targets, checked against this run: each line says the figure,
 * the target and whether it is met, so the report tracks them like throughput.
 */
export function formatTargets(rows: ReportRow[], meta: ReportMeta): string[] {
  const byName = new Map(rows.filter(isResult).map((row) => [row.name, row]));
  const base = byName.get(meta.baseline);
  const ours = byName.get(OURS);
  if (!base || !ours) return [];
  const lines: string[] = ['', `Targets (vs ${meta.baseline}, this run):`];
  const check = (what: string, value: string, target: string, met: boolean) =>
    lines.push(`  ${what}: ${value} (target ${target}) ${met ? 'met' : 'MISSED'}`);
  // The verdict is on the medians; the median of each round's own ratio is printed beside it, as the
  // machine's drift between rounds moves both rows of a round alike.
  const ratio = ours.messagesPerSec / base.messagesPerSec;
  const ratioOf = (row: BenchResult) =>
    `${(row.messagesPerSec / base.messagesPerSec).toFixed(2)}x${pairedRatio(row, base)}`;
  if (meta.env.window === 'burst') check('burst throughput', ratioOf(ours), '>= 1.0x', ratio >= 1);
  else check(`throughput, window ${meta.env.window}`, ratioOf(ours), '>= 1.5x', ratio >= 1.5);
  const durable = byName.get(OURS_DURABLE);
  if (durable && meta.env.window !== 'burst') {
    const r = durable.messagesPerSec / base.messagesPerSec;
    check('file journal throughput', ratioOf(durable), '>= 0.75x', r >= 0.75);
  }
  const redis = byName.get(OURS_REDIS);
  if (redis) {
    // Issue 11's goal: against the in-process server of the same run, not the bare ws baseline.
    const r = redis.messagesPerSec / ours.messagesPerSec;
    check(`server on Redis vs ${OURS}`, `${r.toFixed(2)}x`, '>= 0.6x', r >= 0.6);
  }
  if (Number.isFinite(ours.serialP50Us) && Number.isFinite(base.serialP50Us)) {
    const d50 = ours.serialP50Us - base.serialP50Us;
    const d99 = ours.serialP99Us - base.serialP99Us;
    check('1-by-1 RTT p50', `+${Math.round(d50)} µs`, '<= +50 µs', d50 <= 50);
    check('1-by-1 RTT p99', `+${Math.round(d99)} µs`, '<= +200 µs', d99 <= 200);
  }
  const cpu = `${ours.cpuUsPerMsg.toFixed(1)} vs ${base.cpuUsPerMsg.toFixed(1)} µs`;
  check('CPU per acked message', cpu, `<= ${meta.baseline}'s`, ours.cpuUsPerMsg <= base.cpuUsPerMsg);
  check('GC share', `${ours.gcPct.toFixed(1)} %`, '<= 10 %', ours.gcPct <= 10);
  const floor = byName.get(PROMISE_FLOOR);
  if (floor) {
    // GC time per message does not grow when the run gets faster, as the share of wall time does.
    const gcUs = (row: BenchResult) => (row.gcPct * 1e4) / row.messagesPerSec;
    lines.push(
      `  (reference) GC per acked message: ${gcUs(ours).toFixed(2)} µs; ${PROMISE_FLOOR}: ` +
        `${gcUs(floor).toFixed(2)} µs (GC share ${floor.gcPct.toFixed(1)} %), what a promise per send costs by itself`,
    );
  }
  // Before issue 12 (bench/ab.ts against bdbe4f1): 8,812 B at window 1000, 9,149 B on a 20k burst.
  const before = meta.env.window === 'burst' ? 9149 : 8812;
  const bytes = ours.bytesPerMsg;
  check(
    'heap allocated per acked message',
    `${Math.round(bytes)} B, was ${before} B`,
    'halved',
    bytes <= before / 2,
  );
  return lines;
}

/** `, per round 1.62x`: the median over rounds of `row`'s msg/s over `base`'s in the same round ('' without rounds). */
function pairedRatio(row: BenchResult, base: BenchResult): string {
  const a = row.roundMessagesPerSec;
  const b = base.roundMessagesPerSec;
  if (!a || !b || a.length !== b.length || a.length < 2) return '';
  return `, per round ${median(a.map((value, i) => value / b[i]!)).toFixed(2)}x`;
}

/** Writes the rows and the conditions they were measured in as JSON. */
export async function writeResults(
  file: string,
  rows: ReportRow[],
  meta: ReportMeta,
  push?: readonly object[],
): Promise<void> {
  await writeFile(file, `${JSON.stringify({ meta, results: rows, ...(push ? { push } : {}) }, null, 2)}\n`);
}
