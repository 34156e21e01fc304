import { MessagePriority, ReliableWebSocketClient, type DeliveryResult } from '../../../src/node';
import { chaos } from '../../../src/cli/chaos';
import { seededRandom } from '../../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig } from '../../helpers/reliability-rig';
import { countDeliveries, percentileOf, type DeliveryCounts } from './counts';

export interface ChaosScenarioOptions {
  messages: number;
  /** Sends per second; the faults run for `messages / ratePerSecond` seconds. */
  ratePerSecond: number;
  seed: number;
  /** Every message must have settled this long after the last send, or the run fails. */
  settleTimeoutMs: number;
  /** Called every 250 ms with a snapshot, for a progress line. */
  onProgress?: (progress: ChaosProgress) => void;
}

export interface ChaosProgress {
  issued: number;
  settled: number;
  reconnects: number;
  resets: number;
  blackholes: number;
  blackholed: boolean;
  state: string;
}

export interface ChaosScenarioResult extends DeliveryCounts {
  seed: number;
  /** Messages that settled without an ack (their error codes are in `failures`). */
  failed: number;
  failures: Record<string, number>;
  /** Messages still unsettled at the deadline. */
  unsettled: number;
  reconnects: number;
  resets: number;
  blackholes: number;
  /** Resends the server answered from its dedupe memory. */
  serverDuplicates: number;
  /** Send-to-ack, ms, of acknowledged messages. */
  p50: number;
  p99: number;
  durationMs: number;
}

const LANES = [MessagePriority.LOW, MessagePriority.NORMAL, MessagePriority.HIGH] as const;

/**
 * Sends `messages` across three priorities through a link that is reset every
 * 50-500 ms and black-holed for 500-1000 ms every 1-2.5 s, to a handler that
 * takes a random 0-8 ms. Every black-hole ends in a reset: a black-holed TCP
 * link that comes back after dropping bytes cannot happen with real TCP (it
 * retransmits or dies); "stop forwarding, then drop" is the fault modelled.
 */
export async function runChaosScenario(options: ChaosScenarioOptions): Promise<ChaosScenarioResult> {
  const random = seededRandom(options.seed ^ 0x9e3779b9);
  const handlerRandom = seededRandom(options.seed ^ 0x85ebca6b);
  const rig = await ReliabilityRig.start({
    seed: options.seed,
    handler: (payload) =>
      new Promise((resolve) => setTimeout(() => resolve({ echo: payload }), Math.floor(handlerRandom() * 9))),
  });
  const client = new ReliableWebSocketClient(rig.url, {
    apiKey: API_KEY,
    enablePersistence: false,
    queueSize: options.messages + 16,
    reconnectInterval: 10,
    maxReconnectAttempts: 100_000,
    backoff: { maxInterval: 100, random: seededRandom(options.seed ^ 0xc2b2ae35) },
    heartbeatInterval: 100,
    heartbeatTimeout: 100,
    heartbeatMaxMissed: 2,
    connectTimeout: 300,
    messageTimeout: 2000,
  });
  const startedAt = performance.now();
  const sent: string[] = [];
  const acknowledged = new Set<string>();
  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  let settled = 0;
  let blackholes = 0;
  let progress: NodeJS.Timeout | undefined;
  try {
    await client.connect();
    const sendingMs = (options.messages / options.ratePerSecond) * 1000;
    const stopChaos = chaos(rig.proxy, {
      resetEveryMs: [50, 500],
      blackholeEveryMs: [1000, 2500],
      blackholeForMs: [500, 1000],
      durationMs: sendingMs,
      onEvent: (event) => {
        if (event.type === 'blackhole-start') blackholes++;
        // Same tick as the lift: no byte crosses a link that lost bytes.
        if (event.type === 'blackhole-end') rig.proxy.resetAll();
      },
    });
    if (options.onProgress) {
      const report = (): void =>
        options.onProgress!({
          issued: sent.length,
          settled,
          reconnects: client.getStats().reconnects,
          resets: rig.proxy.stats.resets,
          blackholes,
          blackholed: rig.proxy.blackholed,
          state: client.state,
        });
      progress = setInterval(report, 250);
    }
    const results: Array<Promise<void>> = [];
    const laneSeq = [0, 0, 0];
    const record = (at: number) => (result: DeliveryResult) => {
      settled++;
      if (result.acknowledged) {
        acknowledged.add(result.messageId);
        latencies.push(performance.now() - at);
      } else {
        const code = (result.error as { code?: string } | undefined)?.code ?? 'UNKNOWN';
        failures[code] = (failures[code] ?? 0) + 1;
      }
    };
    // Paced in 10 ms ticks so the faults hit a steady stream, not one burst.
    const perTick = options.ratePerSecond / 100;
    for (let tick = 0; sent.length < options.messages; tick++) {
      const due = Math.min(options.messages, Math.round((tick + 1) * perTick));
      while (sent.length < due) {
        const lane = Math.floor(random() * LANES.length);
        const at = performance.now();
        const receipt = await client.send(
          { type: 'ECHO', payload: { lane, seq: laneSeq[lane]!++ } },
          { priority: LANES[lane] },
        );
        sent.push(receipt.messageId);
        results.push(receipt.result.then(record(at)));
      }
      const wait = startedAt + (tick + 1) * 10 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    stopChaos();
    await stopChaos.done;
    await settleWithin(Promise.all(results), options.settleTimeoutMs);
    const counts = countDeliveries({
      sent,
      acknowledged,
      processed: rig.processed,
      firstProcessing: rig.firstProcessing,
    });
    return {
      ...counts,
      seed: options.seed,
      failed: Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
      unsettled: sent.length - settled,
      reconnects: client.getStats().reconnects,
      resets: rig.proxy.stats.resets,
      blackholes,
      serverDuplicates: rig.server.stats().duplicates,
      p50: Math.round(percentileOf(latencies, 0.5)),
      p99: Math.round(percentileOf(latencies, 0.99)),
      durationMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    if (progress) clearInterval(progress);
    await client.close();
    await rig.close();
  }
}

/** Waits for `promise`, at most `ms`; a timeout is not an error here: the counts show what did not settle. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
