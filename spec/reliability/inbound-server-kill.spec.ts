import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ReliableWebSocketClient } from '../../src/node';
import { freePort } from '../../src/cli/free-port';
import { seededRandom } from '../../src/cli/seeded-random';
import { API_KEY } from '../helpers/reliability-rig';
import { until } from '../helpers/wait';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  principalStream,
  type Received,
} from './helpers/inbound-counts';

const CHILD = resolve(__dirname, 'helpers/inbound-server-child.ts');
const REPO_ROOT = resolve(__dirname, '../..');
const KILLS = 4;
const TOTAL = 3000;
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);
const STREAM = principalStream(API_KEY);

/** Runs the server child; kills it `killAfterMs` after `ready` (or lets it finish when undefined). */
async function runServer(
  dir: string,
  port: number,
  facts: string,
  killAfterMs: number | undefined,
): Promise<{ killed: boolean; done: boolean; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, String(port), STREAM, facts, String(TOTAL)],
    { cwd: REPO_ROOT, env: { ...process.env, RXWS_API_KEY: API_KEY }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let done = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((finish) =>
    child.once('close', (_c, signal) => finish(signal)),
  );
  const kill = (): void => void child.kill('SIGKILL');
  const safety = setTimeout(kill, 15_000);
  let timer: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready' && killAfterMs !== undefined) timer = setTimeout(kill, killAfterMs);
    if (line === 'done') {
      done = true;
      kill(); // the publishing is over; the client has what it needs from the log
    }
  });
  const signal = await exited;
  clearTimeout(safety);
  clearTimeout(timer);
  return { killed: signal === 'SIGKILL', done, stderr };
}

describe('kill -9 of the server on FileInboundLog while it publishes', () => {
  it(`${KILLS} kills and restarts: every resolved publish reaches the client once, in order, no gap`, async () => {
    const random = seededRandom(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'rxws-inbound-server-kill-'));
    const facts = join(dir, 'facts.log');
    const port = await freePort();
    const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, {
      apiKey: API_KEY,
      enablePersistence: false,
      reconnectInterval: 20,
      maxReconnectAttempts: 1_000_000,
      backoff: { maxInterval: 100 },
      heartbeatInterval: 200,
      heartbeatTimeout: 200,
      heartbeatMaxMissed: 2,
    });
    const received: Received[] = [];
    let gaps = 0;
    client.messages$.subscribe((m) => {
      if (m.stream === STREAM)
        received.push({ n: (m.payload as { n: number }).n, seq: m.seq!, redelivered: m.redelivered! });
    });
    client.addEventListener('inboundGap', () => gaps++);
    const runs: Array<{ killed: boolean; done: boolean; stderr: string }> = [];
    try {
      // The first server is up before the client connects, so its first cursor is from this log's epoch.
      const first = runServer(join(dir, 'log'), port, facts, 300 + Math.floor(random() * 300));
      await client.connect();
      runs.push(await first);
      for (let kill = 1; kill < KILLS; kill++)
        runs.push(await runServer(join(dir, 'log'), port, facts, 100 + Math.floor(random() * 300)));
      runs.push(await runServer(join(dir, 'log'), port, facts, undefined));
      const published = readFileSync(facts, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('published '))
        .map((line) => Number(line.split(' ')[1]));
      const last = Math.max(...published);
      await until(() => received.some((r) => r.n === last), 20_000, `publish ${last} at the client`);
      const counts = countInbound(published, received);
      console.log(
        `inbound server kill -9 seed ${SEED}: ${JSON.stringify(counts)} runs ${runs.map((r) => (r.done ? 'done' : 'killed')).join('/')} reconnects ${client.getStats().reconnects}`,
      );
      expect(runs.map((r) => r.stderr).filter(Boolean)).toEqual([]);
      expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
      expect(counts.redelivered).toBe(0);
      expect(received.map((r) => r.seq)).toEqual(received.map((r) => r.n));
      expect(gaps).toBe(0);
      expect(runs.at(-1)!.done).toBe(true);
      expect(runs.slice(0, KILLS).every((r) => r.killed && !r.done)).toBe(true);
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
