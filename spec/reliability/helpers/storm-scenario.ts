import { ConnectionState, ReliableWebSocketClient, type DeliveryResult } from '../../../src/node';
import { seededRandom } from '../../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig } from '../../helpers/reliability-rig';
import { until } from '../../helpers/wait';
import { countDeliveries, percentileOf, type DeliveryCounts } from './counts';

export interface StormScenarioOptions {
  clients: number;
  /** How long the server stays away. */
  downMs: number;
  /** Histogram bucket width. */
  bucketMs: number;
  seed: number;
  onProgress?: (progress: { phase: string; connected: number; clients: number }) => void;
}

export interface StormScenarioResult extends DeliveryCounts {
  seed: number;
  clients: number;
  /** Clients back in CONNECTED after the restart. */
  reconnected: number;
  /** Clients that ended in ERROR (gave up). */
  gaveUp: number;
  /** Reconnections per bucket, counted from the server's return. */
  histogram: number[];
  bucketMs: number;
  /** Most reconnection attempts any client needed, and the limit it had. */
  maxAttempts: number;
  attemptLimit: number;
  p50: number;
  p99: number;
  lastMs: number;
}

/**
 * Nominally 100+200+400+800+1000x8 ms = 9.5 s of retrying; full jitter can burn it much faster
 * (a 10-attempt budget is used up within a 1 s outage with p ~ 2e-5 per client, simulated).
 */
const ATTEMPT_LIMIT = 12;

/**
 * N clients on one server (through the proxy); the server goes away (1001 to
 * everyone) for `downMs` and comes back on the same port. Each client queues
 * one message while it is down. Full jitter should spread the reconnections
 * over time rather than stampede the server in one instant, and no client may
 * give up while its attempt budget lasts.
 */
export async function runStormScenario(options: StormScenarioOptions): Promise<StormScenarioResult> {
  const rig = await ReliabilityRig.start({ seed: options.seed });
  const clients: ReliableWebSocketClient[] = [];
  const reconnectedAt = new Map<number, number>();
  const attempts = new Map<number, number>();
  let restartAt = Infinity;
  try {
    for (let i = 0; i < options.clients; i++) {
      const client = new ReliableWebSocketClient(rig.url, {
        apiKey: API_KEY,
        enablePersistence: false,
        reconnectInterval: 100,
        maxReconnectAttempts: ATTEMPT_LIMIT,
        backoff: { multiplier: 2, maxInterval: 1000, jitter: 'full', random: seededRandom(options.seed + i) },
        connectTimeout: 3000,
      });
      client.addEventListener('open', () => {
        if (performance.now() >= restartAt && !reconnectedAt.has(i))
          reconnectedAt.set(i, performance.now() - restartAt);
      });
      client.addEventListener('reconnecting', (e) =>
        attempts.set(i, Math.max(attempts.get(i) ?? 0, e.detail.attempt)),
      );
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.connect()));
    options.onProgress?.({ phase: 'connected', connected: clients.length, clients: clients.length });

    await rig.stopServer();
    await until(
      () => clients.every((c) => c.state !== ConnectionState.CONNECTED),
      5000,
      'every client to notice',
    );
    const pending: Array<Promise<DeliveryResult>> = clients.map((c, i) =>
      c.sendWithAcknowledgement({ type: 'ECHO', payload: { client: i } }),
    );
    // The outage itself: a fault schedule, not a wait for a result.
    await new Promise((resolve) => setTimeout(resolve, options.downMs));
    restartAt = performance.now();
    await rig.startServer();
    const settled = (c: ReliableWebSocketClient) =>
      c.state === ConnectionState.CONNECTED || c.state === ConnectionState.ERROR;
    const progress = setInterval(
      () =>
        options.onProgress?.({
          phase: 'reconnecting',
          connected: reconnectedAt.size,
          clients: clients.length,
        }),
      250,
    );
    try {
      await until(() => clients.every(settled), 20_000, 'every client to reconnect or give up').catch(
        () => undefined,
      );
    } finally {
      clearInterval(progress);
    }
    let timer: NodeJS.Timeout | undefined;
    const results = await Promise.race([
      Promise.all(pending),
      new Promise<DeliveryResult[]>((resolve) => (timer = setTimeout(() => resolve([]), 10_000))),
    ]);
    clearTimeout(timer);
    const counts = countDeliveries({
      sent:
        pending.length === results.length
          ? results.map((r) => r.messageId)
          : clients.map((_, i) => `unsettled-${i}`),
      acknowledged: new Set(results.filter((r) => r.acknowledged).map((r) => r.messageId)),
      processed: rig.processed,
    });
    const times = [...reconnectedAt.values()];
    const histogram: number[] = [];
    for (const t of times) {
      const bucket = Math.floor(t / options.bucketMs);
      while (histogram.length <= bucket) histogram.push(0);
      histogram[bucket]!++;
    }
    return {
      ...counts,
      seed: options.seed,
      clients: clients.length,
      reconnected: clients.filter((c) => c.state === ConnectionState.CONNECTED).length,
      gaveUp: clients.filter((c) => c.state === ConnectionState.ERROR).length,
      histogram,
      bucketMs: options.bucketMs,
      maxAttempts: Math.max(0, ...attempts.values()),
      attemptLimit: ATTEMPT_LIMIT,
      p50: Math.round(percentileOf(times, 0.5)),
      p99: Math.round(percentileOf(times, 0.99)),
      lastMs: Math.round(Math.max(0, ...times)),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await rig.close();
  }
}

/** `  0- 100 ms |#########            |  23` lines, one per bucket. */
export function formatHistogram(histogram: readonly number[], bucketMs: number, width = 40): string {
  const max = Math.max(1, ...histogram);
  return histogram
    .map((n, i) => {
      const label = `${String(i * bucketMs).padStart(5)}-${String((i + 1) * bucketMs).padStart(5)} ms`;
      return `${label} |${'#'.repeat(Math.round((n / max) * width)).padEnd(width)}| ${String(n).padStart(4)}`;
    })
    .join('\n');
}
