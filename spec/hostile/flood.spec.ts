import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { withTimeout } from '../helpers/raw-client';
import {
  HOSTILE_KEY,
  median,
  startHostileServer,
  stillServes,
  Witness,
  type HostileServer,
  type WitnessReport,
} from './witness';

const ROOT = path.resolve(__dirname, '../..');
const PHASE_MS = 800;
const FLOOD_MS = 2000;
const FLOOD_CONNECTIONS = 4;
/** Per connection; the witness sends 500/s, well inside it. */
const RATE_LIMIT = { messagesPerSecond: 1000, burst: 200 };
/** Generous: a sanity bound on a shared 2-core machine, not a performance claim. */
const SANE_MEDIAN_MS = 250;

interface FloodCounts {
  sent: number;
  acked: number;
  rateLimited: number;
  otherNacks: number;
  connects: number;
  closes: Record<string, number>;
}

let host: HostileServer;
afterEach(() => host.server.close());

async function witnessFor(ms: number, clientId: string): Promise<WitnessReport> {
  const witness = await Witness.start(host, clientId, 2);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return witness.stop();
}

/** Starts the flooder child; resolves once every flood socket is open, with a promise of its final counts. */
async function startFlood(url: string): Promise<Promise<FloodCounts>> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'spec/helpers/flood-child.ts',
      url,
      HOSTILE_KEY,
      String(FLOOD_MS),
      String(FLOOD_CONNECTIONS),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const first = await withTimeout(iterator.next(), 5000, 'the flooder to start');
  if (first.value !== 'ready') throw new Error(`flooder said ${String(first.value)}`);
  return withTimeout(
    (async () => {
      const last = await iterator.next();
      await new Promise((resolve) => child.once('exit', resolve));
      return JSON.parse(String(last.value)) as FloodCounts;
    })(),
    FLOOD_MS + 5000,
    'the flooder to finish',
  );
}

describe('ReliableWebSocketServer under a flood from other connections', () => {
  it('keeps another session whole: every message acked once, median ack latency reported with and without the flood', async () => {
    host = await startHostileServer({ rateLimit: RATE_LIMIT });
    const calm = await witnessFor(PHASE_MS, 'witness-calm');
    const finished = await startFlood(host.url);
    const stormy = await witnessFor(PHASE_MS, 'witness-flood');
    const flood = await finished;

    for (const report of [calm, stormy]) {
      expect(report.sent).toBeGreaterThan(100);
      expect(report).toMatchObject({ acked: report.sent, lost: 0, wrong: 0, ranTwice: 0 });
    }
    // The flood was real: it was refused with RATE_LIMITED and cut with 4004, again and again.
    expect(flood.rateLimited).toBeGreaterThan(1000);
    expect(flood.closes['4004']).toBeGreaterThanOrEqual(FLOOD_CONNECTIONS);
    expect(host.server.stats().rateLimited).toBeGreaterThanOrEqual(flood.rateLimited);

    const calmMedian = median(calm.latencies);
    const stormyMedian = median(stormy.latencies);
    console.log(
      `witness median ack latency: ${calmMedian.toFixed(2)} ms without flood (${calm.acked} acks), ` +
        `${stormyMedian.toFixed(2)} ms during the flood (${stormy.acked} acks); flood: ${FLOOD_CONNECTIONS} connections, ` +
        `${flood.sent} messages in ${FLOOD_MS} ms, ${flood.rateLimited} refused RATE_LIMITED, ${flood.closes['4004']} closes 4004, ` +
        `${flood.connects} reconnects`,
    );
    expect(stormyMedian).toBeLessThan(SANE_MEDIAN_MS);
    await stillServes(host);
  }, 20_000); // two witness phases, a tsx flooder child and its 2 s flood: jest's 5 s default is too short under load
});
