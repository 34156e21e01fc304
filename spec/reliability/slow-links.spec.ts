import { MessagePriority, ReliableWebSocketClient, type DeliveryResult } from '../../src/node';
import { API_KEY, ReliabilityRig } from '../helpers/reliability-rig';
import { withTimeout } from '../helpers/raw-client';
import { countDeliveries, faults, formatCounts, NO_FAULTS, reliabilityScale } from './helpers/counts';

const scale = reliabilityScale();
const MESSAGES = Math.round(150 * scale);
const RATE = 50;
const LATENCY = 60;
const JITTER = 40;
/** 1.5 x the worst round trip (2 x (60 + 40) ms; slicing and pacing add a few ms), far below a dead link's silence. */
const HEARTBEAT_TIMEOUT = 300;
const LANES = [MessagePriority.LOW, MessagePriority.NORMAL, MessagePriority.HIGH] as const;

describe('slow and sliced links', () => {
  let rig: ReliabilityRig;
  let client: ReliableWebSocketClient;

  beforeEach(async () => {
    rig = await ReliabilityRig.start();
  });
  afterEach(async () => {
    await client?.close();
    await rig.close();
  });

  it(`latency ${LATENCY}+${JITTER} ms, 5-byte segments, 32 KiB/s: no false heartbeat timeouts, no reconnects, ${MESSAGES} acked once in order`, async () => {
    rig.proxy.setLatency(LATENCY, JITTER);
    rig.proxy.setSliceSize(5);
    rig.proxy.setBandwidth(32 * 1024);
    client = new ReliableWebSocketClient(rig.url, {
      apiKey: API_KEY,
      enablePersistence: false,
      heartbeatInterval: 150,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      heartbeatMaxMissed: 2,
      messageTimeout: 3000,
    });
    let heartbeatTimeouts = 0;
    client.addEventListener('heartbeatTimeout', () => heartbeatTimeouts++);
    const rtts: number[] = [];
    const sampler = setInterval(() => {
      const { latency } = client.getStats();
      if (latency !== undefined && latency !== rtts[rtts.length - 1]) rtts.push(latency);
    }, 25);
    try {
      await client.connect();
      const pending: Array<Promise<DeliveryResult>> = [];
      const laneSeq = [0, 0, 0];
      const startedAt = performance.now();
      for (let i = 0; i < MESSAGES; i++) {
        const wait = startedAt + (i * 1000) / RATE - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const lane = i % 3;
        pending.push(
          client.sendWithAcknowledgement(
            { type: 'ECHO', payload: { lane, seq: laneSeq[lane]!++ } },
            { priority: LANES[lane] },
          ),
        );
      }
      const results = await withTimeout(Promise.all(pending), 15_000, 'every ack over the slow link');
      const counts = countDeliveries({
        sent: results.map((r) => r.messageId),
        acknowledged: new Set(results.filter((r) => r.acknowledged).map((r) => r.messageId)),
        processed: rig.processed,
        firstProcessing: rig.firstProcessing,
      });
      const { reconnects } = client.getStats();
      const minRtt = Math.min(...rtts);
      const maxRtt = Math.max(...rtts);
      console.log(
        formatCounts('slow, sliced, throttled link', counts, {
          'heartbeat timeouts': heartbeatTimeouts,
          reconnects,
          'heartbeat rtt ms': `${Math.round(minRtt)}..${Math.round(maxRtt)} (${rtts.length} samples)`,
          'timeout ms': HEARTBEAT_TIMEOUT,
          'proxy links': rig.proxy.stats.connections,
        }),
      );
      expect(faults(counts)).toEqual(NO_FAULTS);
      expect({ heartbeatTimeouts, reconnects, proxyLinks: rig.proxy.stats.connections }).toEqual({
        heartbeatTimeouts: 0,
        reconnects: 0,
        proxyLinks: 1,
      });
      // The faults were in effect (every round trip crossed the latency twice) and the premise held.
      expect(rtts.length).toBeGreaterThanOrEqual(5);
      expect(minRtt).toBeGreaterThanOrEqual(2 * LATENCY);
      expect(maxRtt).toBeLessThan(HEARTBEAT_TIMEOUT);
    } finally {
      clearInterval(sampler);
    }
  }, 30_000);
});
