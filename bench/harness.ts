import { performance } from 'node:perf_hooks';
import type { RunningServer } from './peer-server';
import { addSamples, EMPTY_SAMPLE, startProbe, type ProbeSample } from './process-probe';

/** How one bench run sends: `messages` in total, `window` unacked at most, or all at once (`'burst'`). */
export interface BenchOptions {
  messages: number;
  window: number | 'burst';
  /** Measured runs of this call (bench/run.ts calls each bench once per round with 1). @default env.runs */
  runs?: number;
  /** Messages of the one-at-a-time run after the throughput runs (0: none). @default env.serial */
  serial?: number;
}

/** Medians over the measured runs. */
export interface BenchResult {
  name: string;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU (user + system) per acked message of client and server together (both processes with BENCH_SERVER=child). */
  cpuUsPerMsg: number;
  /**
   * Main-thread GC pauses as a share of the run's wall time, in percent (client and server
   * pauses added: with BENCH_SERVER=child the two processes can reach 200). Wall over wall, so
   * other load on the machine stretches both alike; GC time over CPU time would not be.
   */
  gcPct: number;
  /** V8 heap bytes allocated per acked message, client and server together. */
  bytesPerMsg: number;
  /** Of those, bytes per message the scavenges promoted to old space (see ProbeSample.promotedBytes). */
  promotedPerMsg: number;
  /** One message at a time (window 1): send→ack round trip, µs. NaN when not measured. */
  serialP50Us: number;
  serialP99Us: number;
  /** bench/run.ts: msg/s of each round, in round order (the row's figures are their medians). */
  roundMessagesPerSec?: number[];
}

export type BenchFn = (opts: BenchOptions) => Promise<BenchResult>;

/** A row of the report: bench/run.ts runs these in order. */
export interface BenchEntry {
  name: string;
  bench: BenchFn;
}

/** Sends message `seq`; the peer calls `done` once, when its ack arrives (with an error if it failed). */
export type SendFn = (seq: number, done: (error?: unknown) => void) => void;

/** What `acknowledgedSend` needs of our client (any `src/` copy's `ReliableWebSocketClient`). */
interface AcknowledgingClient {
  sendWithAcknowledgement(message: {
    type: string;
    payload: unknown;
  }): Promise<{ acknowledged: boolean; error?: Error | undefined }>;
}

/** Our client's send for the harness: one `sendWithAcknowledgement` of a trade signal, done with the error unless acked. */
export function acknowledgedSend(client: AcknowledgingClient): SendFn {
  return (seq, done) => {
    client
      .sendWithAcknowledgement({ type: 'signal', payload: tradeSignal(seq) })
      .then((result) => done(result.acknowledged ? undefined : result.error), done);
  };
}

/** Where each peer's server runs: in this process (as the reference figures were taken) or a child. */
export type ServerMode = 'inproc' | 'child';

export interface BenchEnv {
  messages: number;
  window: number | 'burst';
  runs: number;
  /** Bound of a single run (warm-up included). */
  runTimeoutMs: number;
  serverMode: ServerMode;
  /** Messages of the one-at-a-time RTT run in each round (0 skips it). */
  serial: number;
  /** Only benches whose name contains this (case-insensitive). */
  only: string | undefined;
}

/** The payload every peer sends: a trade-signal-like object. */
export function tradeSignal(seq: number) {
  return { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.08, takeProfit: 1.09, seq };
}

/**
 * Reads BENCH_MESSAGES (50000), BENCH_WINDOW (1000 or 'burst'), BENCH_RUNS (5: alternating rounds),
 * BENCH_TIMEOUT_MS (60000), BENCH_SERVER (inproc|child), BENCH_SERIAL (2000), BENCH_ONLY.
 */
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
    serial: int('BENCH_SERIAL', 2000, 0),
    only: env.BENCH_ONLY || undefined,
  };
}

interface RunSample {
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  elapsedMs: number;
  /** This process over the run. */
  probe: ProbeSample;
}

/** The server child's probe, when it runs in one: started before a run, read after it. */
type ChildProbe = NonNullable<RunningServer['probe']>;

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
    const stopProbe = startProbe();
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
        const probe = stopProbe();
        rtt.sort();
        resolve({
          messagesPerSec: (messages * 1000) / elapsedMs,
          p50Ms: percentile(rtt, 0.5),
          p99Ms: percentile(rtt, 0.99),
          elapsedMs,
          probe,
        });
      } else if (window !== 'burst' && sent < messages) {
        sendNext();
      }
    };
    const initial = window === 'burst' ? messages : Math.min(window, messages);
    for (let i = 0; i < initial; i += 1) sendNext();
  });
}

/** One run, with the server child's CPU, GC and allocation added when it runs in one. */
async function runMeasured(
  send: SendFn,
  messages: number,
  window: number | 'burst',
  timeoutMs: number,
  childProbe: ChildProbe | undefined,
): Promise<RunSample> {
  await childProbe?.start();
  const sample = await runOnce(send, messages, window, timeoutMs);
  const child = childProbe ? await childProbe.stop() : EMPTY_SAMPLE;
  return { ...sample, probe: addSamples(sample.probe, child) };
}

/**
 * A warm-up run (up to 5000 messages, so the JIT and the sockets settle),
 * then `runs` measured runs, then one run of `serial` messages sent one at a
 * time (the round trip without queueing); each figure is the median over the
 * runs. Pass the peer's `server` so a server child's own CPU, GC and
 * allocation count too.
 */
export async function measure(
  name: string,
  opts: BenchOptions,
  send: SendFn,
  env: Pick<BenchEnv, 'runs' | 'runTimeoutMs'> &
    Partial<Pick<BenchEnv, 'serial'>> & {
      server?: RunningServer;
    } = readBenchEnv(),
): Promise<BenchResult> {
  const warmup = Math.min(opts.messages, 5000);
  await runOnce(send, warmup, opts.window, env.runTimeoutMs);
  const samples: RunSample[] = [];
  const runs = opts.runs ?? env.runs;
  const probe = env.server?.probe;
  for (let run = 0; run < runs; run += 1) {
    samples.push(await runMeasured(send, opts.messages, opts.window, env.runTimeoutMs, probe));
  }
  const serial = opts.serial ?? env.serial ?? 0;
  let serialP50Us = NaN;
  let serialP99Us = NaN;
  if (serial > 0) {
    const one = await runOnce(send, serial, 1, env.runTimeoutMs);
    serialP50Us = one.p50Ms * 1000;
    serialP99Us = one.p99Ms * 1000;
  }
  const med = (pick: (s: RunSample) => number) => median(samples.map(pick));
  return {
    name,
    messagesPerSec: med((s) => s.messagesPerSec),
    p50Ms: med((s) => s.p50Ms),
    p99Ms: med((s) => s.p99Ms),
    cpuUsPerMsg: med((s) => s.probe.cpuUs / opts.messages),
    gcPct: med((s) => s.probe.gcUs / (10 * s.elapsedMs)),
    bytesPerMsg: med((s) => s.probe.allocatedBytes / opts.messages),
    promotedPerMsg: med((s) => s.probe.promotedBytes / opts.messages),
    serialP50Us,
    serialP99Us,
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
