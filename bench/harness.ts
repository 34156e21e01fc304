import { performance } from 'node:perf_hooks';

/** How one bench run sends: `messages` in total, `window` unacked at most, or all at once (`'burst'`). */
export interface BenchOptions {
  messages: number;
  window: number | 'burst';
}

/** Medians over the measured runs. */
export interface BenchResult {
  name: string;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** process.cpuUsage (user + system) over the run, per message. */
  cpuUsPerMsg: number;
}

export type BenchFn = (opts: BenchOptions) => Promise<BenchResult>;

/** A row of the report: bench/run.ts runs these in order. */
export interface BenchEntry {
  name: string;
  bench: BenchFn;
}

/** Sends message `seq`; the peer calls `done` once, when its ack arrives (with an error if it failed). */
export type SendFn = (seq: number, done: (error?: unknown) => void) => void;

/** Where each peer's server runs: in this process (as the reference figures were taken) or a child. */
export type ServerMode = 'inproc' | 'child';

export interface BenchEnv {
  messages: number;
  window: number | 'burst';
  runs: number;
  /** Bound of a single run (warm-up included). */
  runTimeoutMs: number;
  serverMode: ServerMode;
  /** Only benches whose name contains this (case-insensitive). */
  only: string | undefined;
}

/** The payload every peer sends: a trade-signal-like object. */
export function tradeSignal(seq: number) {
  return { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.08, takeProfit: 1.09, seq };
}

/** Reads BENCH_MESSAGES (50000), BENCH_WINDOW (1000 or 'burst'), BENCH_RUNS (5), BENCH_TIMEOUT_MS (60000), BENCH_SERVER (inproc|child), BENCH_ONLY. */
export function readBenchEnv(env: NodeJS.ProcessEnv = process.env): BenchEnv {
  const int = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new TypeError(`${name} must be an integer >= ${min}, got ${raw}`);
    return value;
  };
  const window = env.BENCH_WINDOW === 'burst' ? 'burst' : int('BENCH_WINDOW', 1000, 1);
  const serverMode = env.BENCH_SERVER ?? 'inproc';
  if (serverMode !== 'inproc' && serverMode !== 'child') {
    throw new TypeError(`BENCH_SERVER must be 'inproc' or 'child', got ${serverMode}`);
  }
  return {
    messages: int('BENCH_MESSAGES', 50_000, 1),
    window,
    runs: int('BENCH_RUNS', 5, 1),
    runTimeoutMs: int('BENCH_TIMEOUT_MS', 60_000, 1000),
    serverMode,
    only: env.BENCH_ONLY || undefined,
  };
}

interface RunSample {
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerMsg: number;
}

/**
 * One bounded run: keeps `window` messages unacked (or sends all first, for
 * `'burst'`), times each send→ack, and reads process CPU around the whole run.
 * Rejects on the first failed ack or after `timeoutMs`.
 */
export function runOnce(
  send: SendFn,
  messages: number,
  window: number | 'burst',
  timeoutMs: number,
): Promise<RunSample> {
  const sentAt = new Float64Array(messages);
  const rtt = new Float64Array(messages);
  let sent = 0;
  let acked = 0;
  return new Promise<RunSample>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`run timed out after ${timeoutMs} ms with ${acked}/${messages} acked`));
    }, timeoutMs);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const sendNext = () => {
      const seq = sent++;
      sentAt[seq] = performance.now();
      send(seq, (error) => onAck(seq, error));
    };
    const onAck = (seq: number, error: unknown) => {
      if (settled) return;
      const now = performance.now();
      if (error !== undefined && error !== null) {
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(`message ${seq} failed: ${String(error)}`));
        return;
      }
      rtt[seq] = now - sentAt[seq];
      acked += 1;
      if (acked === messages) {
        settled = true;
        clearTimeout(timer);
        const elapsedMs = now - started;
        const cpu = process.cpuUsage(cpuStart);
        rtt.sort();
        resolve({
          messagesPerSec: (messages * 1000) / elapsedMs,
          p50Ms: percentile(rtt, 0.5),
          p99Ms: percentile(rtt, 0.99),
          cpuUsPerMsg: (cpu.user + cpu.system) / messages,
        });
      } else if (window !== 'burst' && sent < messages) {
        sendNext();
      }
    };
    const initial = window === 'burst' ? messages : Math.min(window, messages);
    for (let i = 0; i < initial; i += 1) sendNext();
  });
}

/**
 * A warm-up run (up to 5000 messages, so the JIT and the sockets settle),
 * then `runs` measured runs; each figure is the median over those runs.
 */
export async function measure(
  name: string,
  opts: BenchOptions,
  send: SendFn,
  env: Pick<BenchEnv, 'runs' | 'runTimeoutMs'> = readBenchEnv(),
): Promise<BenchResult> {
  const warmup = Math.min(opts.messages, 5000);
  await runOnce(send, warmup, opts.window, env.runTimeoutMs);
  const samples: RunSample[] = [];
  for (let run = 0; run < env.runs; run += 1) {
    samples.push(await runOnce(send, opts.messages, opts.window, env.runTimeoutMs));
  }
  const med = (pick: (s: RunSample) => number) => median(samples.map(pick));
  return {
    name,
    messagesPerSec: med((s) => s.messagesPerSec),
    p50Ms: med((s) => s.p50Ms),
    p99Ms: med((s) => s.p99Ms),
    cpuUsPerMsg: med((s) => s.cpuUsPerMsg),
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
