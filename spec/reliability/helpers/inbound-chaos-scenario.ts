import { ReliableWebSocketClient } from '../../../src/node';
import { chaos } from '../../../src/cli/chaos';
import { seededRandom } from '../../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig } from '../../helpers/reliability-rig';
import { until } from '../../helpers/wait';
import { countInbound, principalStream, type InboundCounts, type Received } from './inbound-counts';

export interface InboundChaosOptions {
  publishes: number;
  /** Publishes per second; the faults run for `publishes / ratePerSecond` seconds. */
  ratePerSecond: number;
  seed: number;
  /** Every publish must have reached the client this long after the last one, or the counts show it lost. */
  settleTimeoutMs: number;
  onProgress?: (progress: {
    published: number;
    received: number;
    reconnects: number;
    resets: number;
  }) => void;
}

export interface InboundChaosResult extends InboundCounts {
  seed: number;
  /** Seqs app code got, in arrival order, were exactly 1..publishes. */
  seqInOrder: boolean;
  gaps: number;
  resets: number;
  blackholes: number;
  reconnects: number;
  duplicatesDropped: number;
  durationMs: number;
}

/**
 * `publishes` server.publish calls on the client's principal stream while
 * the link is reset every 50-500 ms and black-holed for 500-1000 ms every
 * 1-2.5 s (each black-hole ends in a reset, as in the outbound chaos
 * scenario). Counts what app code got: lost, twice, out of order, gaps.
 */
export async function runInboundChaosScenario(options: InboundChaosOptions): Promise<InboundChaosResult> {
  const rig = await ReliabilityRig.start({ seed: options.seed });
  const stream = principalStream(API_KEY);
  const client = new ReliableWebSocketClient(rig.url, {
    apiKey: API_KEY,
    enablePersistence: false,
    reconnectInterval: 10,
    maxReconnectAttempts: 100_000,
    backoff: { maxInterval: 100, random: seededRandom(options.seed ^ 0xc2b2ae35) },
    heartbeatInterval: 100,
    heartbeatTimeout: 100,
    heartbeatMaxMissed: 2,
    connectTimeout: 300,
  });
  const received: Received[] = [];
  let gaps = 0;
  let blackholes = 0;
  client.messages$.subscribe((m) => {
    if (m.stream === stream)
      received.push({ n: (m.payload as { n: number }).n, seq: m.seq!, redelivered: m.redelivered! });
  });
  client.addEventListener('inboundGap', () => gaps++);
  const startedAt = performance.now();
  let progress: NodeJS.Timeout | undefined;
  let published = 0;
  try {
    await client.connect();
    if (options.onProgress) {
      progress = setInterval(
        () =>
          options.onProgress!({
            published,
            received: received.length,
            reconnects: client.getStats().reconnects,
            resets: rig.proxy.stats.resets,
          }),
        250,
      );
    }
    const stop = chaos(rig.proxy, {
      resetEveryMs: [50, 500],
      blackholeEveryMs: [1000, 2500],
      blackholeForMs: [500, 1000],
      durationMs: (options.publishes / options.ratePerSecond) * 1000,
      onEvent: (event) => {
        if (event.type === 'blackhole-start') blackholes++;
        if (event.type === 'blackhole-end') rig.proxy.resetAll();
      },
    });
    for (let n = 1; n <= options.publishes; n++) {
      await rig.server.publish(stream, 'EXECUTION_REPORT', { n });
      published = n;
      const wait = startedAt + (n / options.ratePerSecond) * 1000 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    stop();
    await stop.done;
    await until(() => received.length >= options.publishes, options.settleTimeoutMs, 'every publish').catch(
      () => undefined, // the counts say what is missing
    );
    const all = Array.from({ length: options.publishes }, (_, i) => i + 1);
    const seqs = received.map((r) => r.seq);
    return {
      ...countInbound(all, received),
      seed: options.seed,
      seqInOrder: seqs.length === all.length && seqs.every((seq, i) => seq === i + 1),
      gaps,
      resets: rig.proxy.stats.resets,
      blackholes,
      reconnects: client.getStats().reconnects,
      duplicatesDropped: client.getStats().inboundDuplicates,
      durationMs: Math.round(performance.now() - startedAt),
    };
  } finally {
    if (progress) clearInterval(progress);
    await client.close();
    await rig.close();
  }
}
