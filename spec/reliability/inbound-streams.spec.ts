import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReliableWebSocketClient, type ClientEvent, type ReliableClientOptions } from '../../src/node';
import { FileInboundLog } from '../../src/server/index';
import { seededRandom } from '../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig, type RigOptions } from '../helpers/reliability-rig';
import { until } from '../helpers/wait';
import { reliabilityScale } from './helpers/counts';
import { runInboundChaosScenario } from './helpers/inbound-chaos-scenario';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  principalStream,
  type Received,
} from './helpers/inbound-counts';

const scale = reliabilityScale();
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);
const STREAM = principalStream(API_KEY);

const rigs: ReliabilityRig[] = [];
const clients: ReliableWebSocketClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(rigs.splice(0).map((r) => r.close()));
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

async function rig(options: RigOptions = {}): Promise<ReliabilityRig> {
  const r = await ReliabilityRig.start({ seed: SEED, ...options });
  rigs.push(r);
  return r;
}

/** A client through the proxy that records what app code got, and every gap. */
function trader(url: string, options: ReliableClientOptions = {}) {
  const client = new ReliableWebSocketClient(url, {
    apiKey: API_KEY,
    enablePersistence: false,
    reconnectInterval: 10,
    maxReconnectAttempts: 100_000,
    backoff: { maxInterval: 100, random: seededRandom(SEED ^ 0xc2b2ae35) },
    heartbeatInterval: 100,
    heartbeatTimeout: 100,
    heartbeatMaxMissed: 2,
    connectTimeout: 300,
    ...options,
  });
  clients.push(client);
  const received: Received[] = [];
  const gaps: Array<Extract<ClientEvent, { type: 'inboundGap' }>['detail']> = [];
  client.messages$.subscribe((m) => {
    if (m.stream === STREAM)
      received.push({ n: (m.payload as { n: number }).n, seq: m.seq!, redelivered: m.redelivered! });
  });
  client.events$.subscribe((e) => e.type === 'inboundGap' && gaps.push(e.detail));
  return { client, received, gaps };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('reliable server → client streams through faults', () => {
  const PUBLISHES = Math.round(2000 * scale);

  it(
    `${PUBLISHES} publishes through random resets and black-holes: 0 lost, 0 twice, in order, no gap`,
    async () => {
      const result = await runInboundChaosScenario({
        publishes: PUBLISHES,
        ratePerSecond: 400,
        seed: SEED,
        settleTimeoutMs: 20_000,
      });
      console.log(`inbound chaos: ${JSON.stringify(result)}`);
      expect(inboundFaults(result)).toEqual(NO_INBOUND_FAULTS);
      expect(result.received).toBe(PUBLISHES);
      expect(result.redelivered).toBe(0);
      expect(result.seqInOrder).toBe(true);
      expect(result.gaps).toBe(0);
      // The faults really happened.
      expect(result.resets).toBeGreaterThanOrEqual(3);
      expect(result.reconnects).toBeGreaterThanOrEqual(3);
    },
    60_000 * scale,
  );

  it('retention exceeded while black-holed: a gap with its reason, no duplicates, live messages continue', async () => {
    const r = await rig({ server: { inboundRetention: { maxMessages: 50 } } });
    const { client, received, gaps } = trader(r.url);
    const order: string[] = [];
    client.messages$.subscribe((m) => order.push(`m${m.seq}`));
    client.events$.subscribe((e) => e.type === 'inboundGap' && order.push(`gap:${e.detail.reason}`));
    await client.connect();
    for (let n = 1; n <= 10; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.length === 10, 5000, 'the first ten');
    r.proxy.blackhole(true);
    await until(() => client.state !== 'connected', 5000, 'the client to notice the black-hole');
    for (let n = 11; n <= 200; n++) await r.server.publish(STREAM, 'FILL', { n });
    r.proxy.resetAll();
    r.proxy.blackhole(false);
    await until(() => client.state === 'connected', 5000, 'the reconnect');
    for (let n = 201; n <= 210; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.some((x) => x.n === 210), 5000, 'the live messages');
    expect(gaps).toEqual([
      expect.objectContaining({ stream: STREAM, reason: 'WINDOW_EXCEEDED', seq: 150, previousSeq: 10 }),
    ]);
    expect(order).toEqual([
      ...range(1, 10).map((s) => `m${s}`),
      'gap:WINDOW_EXCEEDED',
      ...range(151, 210).map((s) => `m${s}`),
    ]);
    const counts = countInbound([...range(1, 10), ...range(151, 210)], received);
    expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
    expect(counts.received).toBe(70);
  });

  it('a restart of the server on FileInboundLog resumes: 0 lost, 0 twice, no gap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxws-inbound-log-'));
    dirs.push(dir);
    let log = new FileInboundLog(dir);
    // The rig spreads its server options at every (re)start: the getter hands each server the log open then.
    const r = await rig({
      server: {
        get inboundLog() {
          return log;
        },
      } as RigOptions['server'],
    });
    const { client, received, gaps } = trader(r.url);
    await client.connect();
    for (let n = 1; n <= 100; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.length >= 50, 5000, 'half of the first hundred');
    await r.stopServer();
    await log.close();
    log = new FileInboundLog(dir);
    await r.startServer();
    for (let n = 101; n <= 200; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.length >= 200, 10_000, 'all two hundred');
    expect(inboundFaults(countInbound(range(1, 200), received))).toEqual(NO_INBOUND_FAULTS);
    expect(received.map((x) => x.seq)).toEqual(range(1, 200));
    expect(gaps).toEqual([]);
    await r.stopServer();
    await log.close();
  });

  it('a restart of the server on the memory log is announced: EPOCH_CHANGED, then the new epoch from seq 1', async () => {
    const r = await rig();
    const { client, received, gaps } = trader(r.url);
    await client.connect();
    for (let n = 1; n <= 5; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.length === 5, 5000, 'the first five');
    await r.stopServer();
    await r.startServer();
    await until(() => gaps.length === 1, 10_000, 'the epoch change');
    for (let n = 6; n <= 8; n++) await r.server.publish(STREAM, 'FILL', { n });
    await until(() => received.length === 8, 5000, 'the new epoch messages');
    expect(gaps).toEqual([
      expect.objectContaining({ stream: STREAM, reason: 'EPOCH_CHANGED', seq: 0, previousSeq: 5 }),
    ]);
    expect(gaps[0]!.epoch).not.toBe(gaps[0]!.previousEpoch);
    expect(received.map((x) => [x.n, x.seq])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 1],
      [7, 2],
      [8, 3],
    ]);
  });
});
