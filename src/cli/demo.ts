import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DeliveryResult } from '../client/delivery-result';
import { ReliableWebSocketServer, type HandlerContext } from '../server/index';
import { FileStorageAdapter } from '../storage/file-storage-adapter';
import { TradingClient } from '../node';
import { EXECUTION_REPORT, type ExecutionReport } from '../trading/execution-report';
import type { TradeSignal } from '../trading/trade-signal';
import { chaos } from './chaos';
import { startDemoCluster, type DemoCluster } from './demo-cluster';
import { FaultProxy } from './fault-proxy';
import { percentile, printTable } from './report';

const USAGE = `rx-reliable-ws demo [--signals N] [--rate PER_SECOND] [--seed N] [--nodes N] [--quiet]

Starts the reference server, a flaky link (random resets and black-holed
stretches) and a TradingClient, sends trade signals through it, and prints
what was sent, acknowledged, lost and duplicated. For every accepted signal
the server publishes an execution report on the account's reliable stream;
the table counts the reports received, lost, twice and the gaps. Exits 1 if
anything was lost, processed twice or received twice. With --nodes 3, three
servers share a local redis-server (installed separately) behind a
round-robin balancer, and one node is restarted every 2 s.`;

export interface DemoSummary {
  sent: number;
  acknowledged: number;
  failed: number;
  lost: number;
  duplicated: number;
  reconnects: number;
  p50: number;
  p99: number;
  /** Execution reports app code got (distinct signals). */
  reports: number;
  /** Accepted signals whose report never arrived. */
  reportsLost: number;
  /** Reports that arrived again without `redelivered: true`. */
  reportsTwice: number;
  /** `inboundGap` events. */
  gaps: number;
}

/** `--signals -5` as `--signals=-5`: parseArgs would call it ambiguous, positiveInt says what is wrong. */
function joinNegativeValues(argv: string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (/^--(signals|rate|seed)$/.test(argv[i]!) && next !== undefined && /^-\d/.test(next)) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else args.push(argv[i]!);
  }
  return args;
}

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      signals: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '100' },
      seed: { type: 'string', default: String(Date.now() % 100000) },
      nodes: { type: 'string', default: '1' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const signals = positiveInt('signals', values.signals);
  const rate = positiveInt('rate', values.rate);
  const seed = positiveInt('seed', values.seed);
  const nodes = positiveInt('nodes', values.nodes);
  const summary = await runDemo({ signals, rate, seed, nodes, quiet: values.quiet });
  return clean(summary) ? 0 : 1;
}

function clean(s: DemoSummary): boolean {
  return s.lost === 0 && s.duplicated === 0 && s.reportsLost === 0 && s.reportsTwice === 0 && s.gaps === 0;
}

export async function runDemo(options: {
  signals: number;
  rate: number;
  seed: number;
  /** Servers on one local redis-server behind a round-robin balancer. @default 1 (no Redis) */
  nodes?: number;
  quiet?: boolean;
  /** Where progress goes. @default process.stderr */
  out?: { write(text: string): unknown; isTTY?: boolean };
}): Promise<DemoSummary> {
  const out = options.out ?? process.stderr;
  const log = (line: string): void => {
    if (!options.quiet) out.write(line);
  };
  // A terminal gets one line rewritten in place; a log file or pipe gets a plain line per second.
  const tty = out.isTTY === true;
  let ticks = 0;
  const processed = new Map<string, number>();
  // Each node's handler publishes on its own server: on Redis any node's log is every node's.
  const handlerOn = (server: ReliableWebSocketServer) => async (payload: unknown, ctx: HandlerContext) => {
    processed.set(ctx.messageId, (processed.get(ctx.messageId) ?? 0) + 1);
    const { symbol, action, volume } = payload as TradeSignal;
    const orderId = `o-${ctx.messageId}`;
    const report: ExecutionReport = {
      orderId,
      signalId: ctx.messageId,
      symbol,
      action,
      volume,
      status: 'FILLED',
      price: action === 'BUY' ? 1.0851 : 1.0849,
      ts: Date.now(),
    };
    // Reliable: once the log holds it, the trader gets it once, whatever the link does.
    await server.publish('principal:' + ctx.principal, EXECUTION_REPORT, report);
    return { orderId, status: 'accepted', symbol };
  };
  let cluster: DemoCluster | undefined;
  let server: ReliableWebSocketServer | undefined;
  if ((options.nodes ?? 1) > 1) {
    cluster = await startDemoCluster(options.nodes!, 'demo-key', handlerOn);
  } else {
    server = new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: ['demo-key'] });
    server.handle('TRADE_SIGNAL', handlerOn(server));
  }
  const port = cluster?.port ?? (await server!.listen()).port;
  const proxy = new FaultProxy({ target: { host: '127.0.0.1', port }, seed: options.seed });
  await proxy.listen();
  const dir = mkdtempSync(join(tmpdir(), 'rx-reliable-ws-demo-'));
  const trader = new TradingClient(proxy.url, 'demo-key', {
    storage: new FileStorageAdapter(dir),
    reconnectInterval: 50,
    maxReconnectAttempts: 1000,
    backoff: { maxInterval: 500 },
    heartbeatInterval: 250,
    heartbeatTimeout: 200,
    heartbeatMaxMissed: 2,
    connectTimeout: 1000,
    messageTimeout: 2000,
    queueSize: options.signals,
  });

  const durationMs = Math.ceil((options.signals / options.rate) * 1000) + 1000;
  if (cluster !== undefined)
    log(
      `demo: ${options.nodes} nodes on ${cluster.redisUrl} behind a round-robin balancer on 127.0.0.1:${port}\n`,
    );
  log(
    `demo: server 127.0.0.1:${port}, flaky link ${proxy.url}, ${options.signals} signals at ${options.rate}/s, seed ${options.seed}\n`,
  );
  const reports = new Map<string, number>();
  let reportsTwice = 0;
  let gaps = 0;
  trader.executions$.subscribe(({ report, redelivered }) => {
    const times = (reports.get(report.signalId) ?? 0) + 1;
    reports.set(report.signalId, times);
    if (times > 1 && !redelivered) reportsTwice++;
  });
  trader.executionGaps$.subscribe(() => gaps++);
  const startedAt = performance.now();
  const results: DeliveryResult[] = [];
  let issued = 0;
  const progress = setInterval(() => {
    if (!tty && ++ticks % 5 !== 0) return;
    const s = trader.getStats();
    const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1);
    log(
      `${tty ? '\r' : ''}[${elapsed.padStart(5)}s] sent ${String(issued).padStart(5)}/${options.signals}` +
        `  acked ${String(s.messagesAcknowledged).padStart(5)}  reports ${String(reports.size).padStart(5)}  unsettled ${String(s.queueSize).padStart(4)}` +
        `  reconnects ${String(s.reconnects).padStart(3)}  link ${proxy.blackholed ? 'BLACK-HOLED' : 'up         '}  ${s.state.padEnd(12)}` +
        (tty ? '' : '\n'),
    );
  }, 200);

  try {
    await trader.connect();
    const stopChaos = chaos(proxy, {
      resetEveryMs: [400, 1500],
      blackholeEveryMs: [1500, 3000],
      blackholeForMs: [600, 1200],
      durationMs,
    });
    const restarts =
      cluster === undefined
        ? undefined
        : setInterval(
            () => void cluster.restartOne().catch((e: unknown) => log(`\nrestart failed: ${String(e)}\n`)),
            2000,
          );
    const pending: Array<Promise<void>> = [];
    const interval = 1000 / options.rate;
    for (let i = 0; i < options.signals; i++) {
      const due = startedAt + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const action = i % 2 === 0 ? 'BUY' : 'SELL';
      issued++;
      pending.push(
        trader
          .sendTradeSignal({
            symbol: 'EURUSD',
            action,
            volume: 0.1,
            stopLoss: action === 'BUY' ? 1.08 : 1.1,
            takeProfit: action === 'BUY' ? 1.1 : 1.08,
          })
          .then((r) => void results.push(r)),
      );
    }
    await withDeadline(Promise.all(pending), 60_000);
    clearInterval(restarts);
    stopChaos();
    await stopChaos.done;
    // Every acknowledged signal's report was in the log before its ack: wait for them to arrive.
    const ackedIds = results.filter((r) => r.acknowledged).map((r) => r.messageId);
    const deadline = performance.now() + 15_000;
    while (ackedIds.some((id) => !reports.has(id)) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    clearInterval(progress);
    if (tty) log('\n');
  }

  const stats = trader.getStats();
  await trader.close();
  await proxy.close();
  await server?.close();
  await cluster?.close();
  if (cluster !== undefined) log(`demo: ${cluster.restarts} node restarts\n`);
  rmSync(dir, { recursive: true, force: true });

  const acked = results.filter((r) => r.acknowledged);
  const latencies = acked.map((r) => r.latency ?? 0).sort((a, b) => a - b);
  const summary: DemoSummary = {
    sent: options.signals,
    acknowledged: acked.length,
    failed: results.length - acked.length,
    lost: options.signals - results.length + acked.filter((r) => !processed.has(r.messageId)).length,
    duplicated: [...processed.values()].filter((n) => n > 1).length,
    reconnects: stats.reconnects,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    reports: reports.size,
    reportsLost: acked.filter((r) => !reports.has(r.messageId)).length,
    reportsTwice,
    gaps,
  };
  printTable(
    [
      'sent',
      'acknowledged',
      'failed',
      'lost',
      'duplicated',
      'reconnects',
      'latency p50',
      'latency p99',
      'reports',
      'reports lost',
      'reports twice',
      'gaps',
    ],
    [
      [
        summary.sent,
        summary.acknowledged,
        summary.failed,
        summary.lost,
        summary.duplicated,
        summary.reconnects,
        `${summary.p50.toFixed(1)} ms`,
        `${summary.p99.toFixed(1)} ms`,
        summary.reports,
        summary.reportsLost,
        summary.reportsTwice,
        summary.gaps,
      ],
    ],
  );
  console.log(
    clean(summary)
      ? 'OK: nothing lost, nothing processed twice. Every execution report received once, no gap.'
      : 'FAILED: see lost / duplicated / reports lost / reports twice / gaps.',
  );
  return summary;
}

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new TypeError(`--${name} must be a positive whole number, got ${JSON.stringify(value)}.`);
  return n;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Signals still unsettled after ${ms} ms.`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
