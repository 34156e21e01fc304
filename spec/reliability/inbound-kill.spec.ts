import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../src/node';
import { seededRandom } from '../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig } from '../helpers/reliability-rig';
import { until } from '../helpers/wait';
import { reliabilityScale } from './helpers/counts';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  principalStream,
  type Received,
} from './helpers/inbound-counts';

const CHILD = resolve(__dirname, 'helpers/inbound-kill-child.ts');
const REPO_ROOT = resolve(__dirname, '../..');
const KILLS = Math.max(5, Math.round(5 * reliabilityScale()));
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);
const STREAM = principalStream(API_KEY);

/** Runs the child until `ready`, then kills it (SIGKILL) `killAfterMs` later; resolves once it is gone. */
async function runAndKill(
  dir: string,
  url: string,
  facts: string,
  killAfterMs: number,
  onReady: () => void = () => undefined,
): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, url, STREAM, facts], {
    cwd: REPO_ROOT,
    env: { ...process.env, RXWS_API_KEY: API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.once('close', (_code, signal) => done(signal)),
  );
  const kill = (): void => void child.kill('SIGKILL');
  const safety = setTimeout(kill, 15_000);
  let timer: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line !== 'ready') return;
    onReady();
    timer = setTimeout(kill, killAfterMs);
  });
  const signal = await exited;
  clearTimeout(safety);
  clearTimeout(timer);
  return signal === 'SIGKILL' ? '' : `child exited by itself: ${stderr.slice(0, 500)}`;
}

function readFacts(path: string): Received[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return []; // the child died before it opened the file: it got nothing
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('got '))
    .map((line) => {
      const [, n, seq, redelivered] = line.split(' ');
      return { n: Number(n), seq: Number(seq), redelivered: redelivered === '1' };
    });
}

describe('kill -9 of a Node client on the file journal while the server publishes', () => {
  it(`${KILLS} kills at random points: 0 lost, a repeat only with redelivered: true`, async () => {
    const random = seededRandom(SEED);
    const rig = await ReliabilityRig.start({ seed: SEED });
    const dir = mkdtempSync(join(tmpdir(), 'rxws-inbound-kill-'));
    const factsDir = mkdtempSync(join(tmpdir(), 'rxws-inbound-kill-facts-'));
    const published: number[] = [];
    let publishing = true;
    const crashes: string[] = [];
    try {
      // Publishing starts the moment the first child's connect() resolved: its subscription is durable
      // from then on (connect() waits for the first cursor), so a kill right after loses nothing.
      let started!: () => void;
      const ready = new Promise<void>((resolve) => (started = resolve));
      const first = runAndKill(
        dir,
        rig.url,
        join(factsDir, 'run-0.log'),
        Math.floor(random() * 300),
        started,
      );
      await Promise.race([ready, first]);
      const publisher = (async () => {
        for (let n = 1; publishing && n <= 20_000; n++) {
          await rig.server.publish(STREAM, 'EXECUTION_REPORT', { n });
          published.push(n);
          if (n % 4 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      })();
      crashes.push(await first);
      for (let run = 1; run < KILLS; run++) {
        crashes.push(
          await runAndKill(dir, rig.url, join(factsDir, `run-${run}.log`), Math.floor(random() * 300)),
        );
      }
      publishing = false;
      await publisher;
      const received = Array.from({ length: KILLS }, (_, run) =>
        readFacts(join(factsDir, `run-${run}.log`)),
      ).flat();
      const perRun = Array.from(
        { length: KILLS },
        (_, run) => readFacts(join(factsDir, `run-${run}.log`)).length,
      );
      // The restart: same directory, this process, until every publish has arrived.
      const storage = new FileStorageAdapter(dir);
      const client = new ReliableWebSocketClient(rig.url, {
        apiKey: API_KEY,
        storage,
        enablePersistence: true,
      });
      client.messages$.subscribe((m) => {
        if (m.stream === STREAM)
          received.push({ n: (m.payload as { n: number }).n, seq: m.seq!, redelivered: m.redelivered! });
      });
      try {
        await client.connect();
        await until(() => received.some((r) => r.n === published.length), 20_000, 'the last publish');
      } finally {
        await client.close();
        await storage.close();
      }
      const counts = countInbound(published, received);
      console.log(
        `inbound kill -9 seed ${SEED}: ${JSON.stringify(counts)} received per run ${perRun.join('/')} gaps ${client.getStats().inboundGaps}`,
      );
      expect(crashes.filter(Boolean)).toEqual([]);
      expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
      expect(client.getStats().inboundGaps).toBe(0);
      expect(counts.received).toBe(published.length);
      // The kills landed mid-stream: several runs got messages and the last one had more to do.
      expect(perRun.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      publishing = false;
      await rig.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(factsDir, { recursive: true, force: true });
    }
  }, 120_000);
});
