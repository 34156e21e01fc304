/**
 * Server scale per node: `npm run bench:scale`.
 *
 * Runs the reference server in a child process, opens BENCH_SCALE_CLIENTS
 * authenticated protocol clients against it from load child processes (each
 * heartbeating at the client's default interval), then, while they hold on,
 * one probe `ReliableWebSocketClient` sends acked messages one at a time.
 * The same load then runs against a bare `ws` server answering the same
 * frames, for comparison. Reports server RSS per client, server CPU per
 * heartbeat, the probe's ack latency p50/p99 under load, and the connection
 * setup rate. Only 127.0.0.1; every phase is bounded and the run stops by itself.
 *
 * Env: BENCH_SCALE_CLIENTS (10000), BENCH_SCALE_PER_PROCESS (2500, fds stay far
 * under 20,000 per process), BENCH_SCALE_SECONDS (20, the measured phase),
 * BENCH_SCALE_HEARTBEAT_MS (5000, the client's default heartbeatInterval),
 * BENCH_SCALE_CONCURRENCY (50 handshakes in flight per load process),
 * BENCH_SCALE_PROBE_MS (20: one probe message per 20 ms), BENCH_SCALE_RAW (1; 0 skips the bare ws run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { ReliableWebSocketClient } from '../src/node';
import { percentile, tradeSignal } from './harness';
import type { LoadReply, LoadStats } from './scale-load';
import { SCALE_API_KEY, type ServerReply, type ServerSample } from './scale-server';
import { nextMessage } from './next-message';

interface ScaleEnv {
  clients: number;
  perProcess: number;
  seconds: number;
  heartbeatMs: number;
  concurrency: number;
  probeMs: number;
  raw: boolean;
}

function readScaleEnv(env: NodeJS.ProcessEnv = process.env): ScaleEnv {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new TypeError(`${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return value;
  };
  return {
    clients: int('BENCH_SCALE_CLIENTS', 10_000, 1, 20_000),
    perProcess: int('BENCH_SCALE_PER_PROCESS', 2500, 1, 15_000),
    seconds: int('BENCH_SCALE_SECONDS', 20, 1, 300),
    heartbeatMs: int('BENCH_SCALE_HEARTBEAT_MS', 5000, 100, 60_000),
    concurrency: int('BENCH_SCALE_CONCURRENCY', 50, 1, 1000),
    probeMs: int('BENCH_SCALE_PROBE_MS', 20, 1, 10_000),
    raw: env.BENCH_SCALE_RAW !== '0',
  };
}

const CHILD_START_TIMEOUT_MS = 30_000;
const RAMP_TIMEOUT_MS = 240_000;
const SETTLE_MS = 2000;
const PROGRESS_EVERY_MS = 2000;

const log = (line: string) => process.stderr.write(`[scale] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class ServerChild {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(kind: 'ours' | 'raw'): Promise<ServerChild> {
    const child = fork(path.join(__dirname, 'scale-server.ts'), [kind], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await nextMessage<ServerReply, number>(
      child,
      (m) => {
        if ('error' in m) throw new Error(m.error);
        return 'port' in m ? m.port : undefined;
      },
      CHILD_START_TIMEOUT_MS,
      `${kind} server`,
    );
    return new ServerChild(child, port);
  }

  sample(gc: boolean): Promise<ServerSample> {
    const answer = nextMessage<ServerReply, ServerSample>(
      this.child,
      (m) => ('sample' in m ? m.sample : undefined),
      CHILD_START_TIMEOUT_MS,
      'server sample',
    );
    this.child.send({ sample: true, gc });
    return answer;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

function stopChild(child: ChildProcess, message?: object): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    if (message) child.send(message);
    else child.disconnect();
  });
}

/** The load processes together. */
class Load {
  readonly latest = new Map<ChildProcess, LoadStats>();

  private constructor(readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on('message', (m: LoadReply) => {
        const stats = 'progress' in m ? m.progress : 'ready' in m ? m.ready : m.stats;
        this.latest.set(child, stats);
      });
    }
  }

  static start(port: number, env: ScaleEnv): Load {
    const children: ChildProcess[] = [];
    for (let left = env.clients; left > 0; left -= env.perProcess) {
      const count = Math.min(left, env.perProcess);
      const args = [port, count, env.heartbeatMs, env.concurrency].map(String);
      children.push(
        fork(path.join(__dirname, 'scale-load.ts'), [...args, SCALE_API_KEY], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    }
    return new Load(children);
  }

  total(): LoadStats {
    const sum: LoadStats = { connected: 0, failed: 0, heartbeatsSent: 0, heartbeatAcks: 0, setupMs: 0 };
    for (const s of this.latest.values()) {
      sum.connected += s.connected;
      sum.failed += s.failed;
      sum.heartbeatsSent += s.heartbeatsSent;
      sum.heartbeatAcks += s.heartbeatAcks;
      sum.setupMs = Math.max(sum.setupMs, s.setupMs);
    }
    return sum;
  }

  /** Waits until every child has opened its share (bounded), printing progress. */
  async ramp(env: ScaleEnv, kind: string): Promise<LoadStats> {
    const ready = this.children.map((child) =>
      nextMessage<LoadReply, LoadStats>(
        child,
        (m) => ('ready' in m ? m.ready : undefined),
        RAMP_TIMEOUT_MS,
        'load ramp',
      ),
    );
    const started = performance.now();
    const progress = setInterval(() => {
      const t = this.total();
      const s = (performance.now() - started) / 1000;
      log(
        `${kind}: ${t.connected}/${env.clients} connected, ${t.failed} failed, ${Math.round(t.connected / s)}/s`,
      );
    }, PROGRESS_EVERY_MS);
    try {
      await Promise.all(ready);
    } finally {
      clearInterval(progress);
    }
    return this.total();
  }

  /** Fresh counters from every child. */
  async stats(): Promise<LoadStats> {
    await Promise.all(
      this.children.map((child) => {
        const answer = nextMessage<LoadReply, LoadStats>(
          child,
          (m) => ('stats' in m ? m.stats : undefined),
          CHILD_START_TIMEOUT_MS,
          'load stats',
        );
        child.send({ stats: true });
        return answer;
      }),
    );
    return this.total();
  }

  stop(): Promise<void> {
    return Promise.all(this.children.map((child) => stopChild(child, { stop: true }))).then(() => undefined);
  }
}

/** Heartbeat round trips on one raw protocol socket: the same probe for both servers. */
async function heartbeatProbe(port: number, untilMs: number, everyMs: number): Promise<number[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  const rtts: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      JSON.stringify({ type: 'connect', v: 1, clientId: 'scale-heartbeat-probe', apiKey: SCALE_API_KEY }),
    );
    let sentAt = 0;
    let waiting: (() => void) | undefined;
    ws.on('message', (data) => {
      if (String(data).includes('"heartbeat_ack"')) {
        rtts.push(performance.now() - sentAt);
        waiting?.();
      }
    });
    await sleep(200);
    while (performance.now() < untilMs) {
      const answered = new Promise<void>((resolve) => (waiting = resolve));
      sentAt = performance.now();
      ws.send(`{"type":"heartbeat","ts":${Date.now()}}`);
      await Promise.race([answered, sleep(5000)]);
      await sleep(everyMs);
    }
  } finally {
    ws.terminate();
  }
  return rtts;
}

/** The real client, one acked message at a time, one per `everyMs`. */
async function ackProbe(
  port: number,
  untilMs: number,
  everyMs: number,
): Promise<{ latencies: number[]; failed: number }> {
  const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, { apiKey: SCALE_API_KEY });
  const latencies: number[] = [];
  let failed = 0;
  try {
    await client.connect();
    for (let seq = 0; performance.now() < untilMs; seq += 1) {
      const started = performance.now();
      const result = await client.sendWithAcknowledgement({ type: 'probe', payload: tradeSignal(seq) });
      if (result.acknowledged) latencies.push(performance.now() - started);
      else failed++;
      const wait = everyMs - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
  } finally {
    await client.close();
  }
  return { latencies, failed };
}

interface KindResult {
  server: 'rx-reliable-ws' | 'bare ws';
  clients: number;
  failed: number;
  setupPerSec: number;
  rssPerClientBytes: number;
  heapPerClientBytes: number;
  serverCpuUsPerHeartbeat: number;
  heartbeatsPerSec: number;
  heartbeatRttP50Ms: number;
  heartbeatRttP99Ms: number;
  /** The server's event-loop delay over the heartbeat phase: p50, p99, max (ms). */
  loopDelayMs: [number, number, number];
  ackP50Ms?: number;
  ackP99Ms?: number;
  acked?: number;
  ackFailed?: number;
}

async function runKind(kind: 'ours' | 'raw', env: ScaleEnv): Promise<KindResult> {
  const name = kind === 'ours' ? 'rx-reliable-ws' : 'bare ws';
  const server = await ServerChild.start(kind);
  let load: Load | undefined;
  try {
    const idle = await server.sample(true);
    log(`${name}: server on 127.0.0.1:${server.port}, idle RSS ${(idle.rssBytes / 2 ** 20).toFixed(1)} MiB`);
    load = Load.start(server.port, env);
    const ramped = await load.ramp(env, name);
    const setupPerSec = (ramped.connected * 1000) / Math.max(1, ramped.setupMs);
    log(
      `${name}: ${ramped.connected} connected in ${(ramped.setupMs / 1000).toFixed(1)} s, ${ramped.failed} failed`,
    );
    await sleep(SETTLE_MS);
    const loaded = await server.sample(true);
    const clients = Math.max(1, loaded.connections);
    // Phase 1, the heartbeat load alone: server CPU against heartbeats answered.
    const before = await load.stats();
    const cpuBefore = (await server.sample(false)).cpuUs; // also restarts the event-loop delay histogram
    let started = performance.now();
    const progress = setInterval(() => {
      const t = load!.total();
      log(
        `${name}: ${((performance.now() - started) / 1000).toFixed(0)}/${env.seconds} s, ${t.connected} connected, ${t.heartbeatAcks - before.heartbeatAcks} heartbeats answered`,
      );
    }, 5000);
    let ack: { latencies: number[]; failed: number } | undefined;
    let beats: number[];
    let after: LoadStats;
    let cpuAfter: number;
    let elapsedS: number;
    let loopDelay: [number, number, number];
    try {
      await sleep(env.seconds * 1000);
      after = await load.stats();
      const steady = await server.sample(false);
      cpuAfter = steady.cpuUs;
      loopDelay = [steady.loopDelayP50Ms, steady.loopDelayP99Ms, steady.loopDelayMaxMs];
      elapsedS = (performance.now() - started) / 1000;
      // Phase 2, the same load plus the probes: latencies.
      log(`${name}: probing for ${env.seconds} s`);
      started = performance.now();
      const until = started + env.seconds * 1000;
      [beats, ack] = await Promise.all([
        heartbeatProbe(server.port, until, 100),
        kind === 'ours' ? ackProbe(server.port, until, env.probeMs) : Promise.resolve(undefined),
      ]);
    } finally {
      clearInterval(progress);
    }
    const answered = Math.max(1, after.heartbeatAcks - before.heartbeatAcks);
    const sorted = (values: number[]) => Float64Array.from(values).sort();
    const beatRtts = sorted(beats);
    const result: KindResult = {
      server: name,
      clients: loaded.connections,
      failed: ramped.failed,
      setupPerSec,
      rssPerClientBytes: (loaded.rssBytes - idle.rssBytes) / clients,
      heapPerClientBytes: (loaded.heapUsedBytes - idle.heapUsedBytes) / clients,
      serverCpuUsPerHeartbeat: (cpuAfter - cpuBefore) / answered,
      heartbeatsPerSec: answered / elapsedS,
      heartbeatRttP50Ms: percentile(beatRtts, 0.5),
      heartbeatRttP99Ms: percentile(beatRtts, 0.99),
      loopDelayMs: loopDelay,
    };
    if (ack) {
      const acked = sorted(ack.latencies);
      Object.assign(result, {
        ackP50Ms: percentile(acked, 0.5),
        ackP99Ms: percentile(acked, 0.99),
        acked: acked.length,
        ackFailed: ack.failed,
      });
    }
    log(`${name}: done (${JSON.stringify({ ...result, server: undefined })})`);
    return result;
  } finally {
    await load?.stop();
    await server.stop();
  }
}

function formatTable(results: KindResult[], env: ScaleEnv): string {
  const header = [
    'server',
    'clients',
    'setup/s',
    'RSS KB/client',
    'heap KB/client',
    'CPU µs/heartbeat',
    'heartbeats/s',
    'loop delay p99/max ms',
    'heartbeat RTT p50/p99 ms',
    'probe ack p50/p99 ms',
  ];
  const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(2));
  const rows = results.map((r) => [
    r.server,
    `${r.clients}${r.failed ? ` (${r.failed} failed)` : ''}`,
    Math.round(r.setupPerSec).toString(),
    (r.rssPerClientBytes / 1024).toFixed(1),
    (r.heapPerClientBytes / 1024).toFixed(1),
    r.serverCpuUsPerHeartbeat.toFixed(1),
    Math.round(r.heartbeatsPerSec).toString(),
    `${ms(r.loopDelayMs[1])} / ${ms(r.loopDelayMs[2])}`,
    `${ms(r.heartbeatRttP50Ms)} / ${ms(r.heartbeatRttP99Ms)}`,
    r.ackP50Ms === undefined ? '-' : `${ms(r.ackP50Ms)} / ${ms(r.ackP99Ms)} (${r.acked} acked)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const cpus = os.cpus();
  return [
    `${env.clients} clients over ${Math.ceil(env.clients / env.perProcess)} load processes, heartbeat every ${env.heartbeatMs} ms, ` +
      `${env.seconds} s measured; probe: one acked message per ${env.probeMs} ms`,
    `${process.version} on ${cpus[0]?.model ?? 'unknown'} (${cpus.length} cores), ${new Date().toISOString()}`,
    '',
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...rows.map(format),
  ].join('\n');
}

async function main(): Promise<void> {
  const env = readScaleEnv();
  const results: KindResult[] = [await runKind('ours', env)];
  if (env.raw) results.push(await runKind('raw', env));
  console.log(formatTable(results, env));
  const ours = results[0];
  if (ours.ackP99Ms !== undefined) {
    console.log(
      `probe ack p99 ${ours.ackP99Ms.toFixed(2)} ms (target <= 50 ms): ${ours.ackP99Ms <= 50 ? 'met' : 'MISSED'}`,
    );
  }
  const file = path.join(__dirname, 'scale-results.json');
  await writeFile(
    file,
    `${JSON.stringify({ env, date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

const HARD_STOP_MS = 14 * 60_000;
setTimeout(() => {
  console.error('[scale] hard time limit reached; stopping');
  process.exit(1);
}, HARD_STOP_MS).unref();

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 2000).unref());
