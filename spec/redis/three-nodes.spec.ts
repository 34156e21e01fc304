import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoundRobinProxy } from '../../src/cli/round-robin-proxy';
import { ReliableWebSocketClient } from '../../src/node';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  type Received,
} from '../reliability/helpers/inbound-counts';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis-server';
import { RawClient } from '../helpers/raw-client';
import { until } from '../helpers/wait';
import { ResendingClient } from './helpers/resending-client';

const ORDERS = 3000;
/** Each order's handler publishes one fill; some orders end OUTCOME_UNKNOWN, so expect a bit less than one per order. */
const MIN_FILLS = 1000;
const NODES = 3;
const KILL_EVERY_MS = 2000;
const CUT_EVERY_MS = 700;
const LEASE_MS = 1000;
const CHILD = join(__dirname, 'helpers', 'node-child.ts');

interface Node {
  port: number;
  child: ChildProcess | undefined;
  /** Where its handler records each fill it published (see node-child.ts); no fills without it. */
  fillsFile?: string;
}

function spawnNode(redisUrl: string, node: Node, sideFile: string, handlerMs = 15): Promise<void> {
  const env = { ...process.env };
  if (node.fillsFile !== undefined) env['FILLS_FILE'] = node.fillsFile;
  else delete env['FILLS_FILE'];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, redisUrl, String(node.port), sideFile, String(LEASE_MS), String(handlerMs)],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  node.child = child;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node on ${node.port} did not start: ${stderr}`)),
      20_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('listening')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`node on ${node.port} exited ${code}: ${stderr}`));
    });
  });
}

function kill(node: Node): Promise<void> {
  const child = node.child;
  node.child = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

describe(`${NODES} nodes on one Redis behind a round-robin balancer`, () => {
  let redis: RedisServer;
  let dir: string;
  let proxy: RoundRobinProxy | undefined;
  let client: ResendingClient | undefined;
  let trader: ReliableWebSocketClient | undefined;
  const nodes: Node[] = [];

  afterAll(async () => {
    client?.stop();
    await trader?.close();
    await proxy?.close();
    await Promise.all(nodes.map(kill));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`kill -9 a node every ~2 s and cut links while a client sends ${ORDERS} orders and the nodes publish ≥ ${MIN_FILLS} fills: orders 0 twice, every ack processed once, the rest only OUTCOME_UNKNOWN; fills 0 lost, 0 twice, in order`, async () => {
    redis = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'rx-3nodes-'));
    const sideFile = join(dir, 'processed.log');
    const fillsFile = join(dir, 'fills.log');
    for (let i = 0; i < NODES; i++) nodes.push({ port: await freePort(), child: undefined, fillsFile });
    await Promise.all(nodes.map((node) => spawnNode(redis.url, node, sideFile)));
    proxy = new RoundRobinProxy({ targets: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) });
    await proxy.listen();
    // The library client of the same account (no auth: principal `anonymous`) receives the fills,
    // through the same balancer: every reconnect lands on another node and resumes there.
    const fills: Received[] = [];
    const fillsClient = new ReliableWebSocketClient(proxy.url, {
      clientId: 'desk-fills',
      enablePersistence: false,
      reconnectInterval: 10,
      maxReconnectAttempts: 100_000,
      backoff: { maxInterval: 100 },
      connectTimeout: 1000,
    });
    trader = fillsClient;
    fillsClient.messages$.subscribe((m) => {
      if (m.stream === 'principal:anonymous')
        fills.push({ n: m.seq!, seq: m.seq!, redelivered: m.redelivered! });
    });
    await fillsClient.connect(); // its cursor is the empty stream's head: every fill comes after it
    const c = new ResendingClient(() => proxy!.url, { clientId: 'desk-1', resendMs: 600, window: 100 });
    client = c;

    let kills = 0;
    let cuts = 0;
    let stopChaos = false;
    const killer = (async () => {
      for (let round = 0; !stopChaos && round < 60; round++) {
        await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
        if (stopChaos) break;
        const node = nodes[round % NODES]!;
        await kill(node);
        kills++;
        await spawnNode(redis.url, node, sideFile);
      }
    })();
    const cutter = setInterval(() => {
      proxy!.resetAll();
      cuts++;
    }, CUT_EVERY_MS);

    // 3,000 orders over ~12 s or more, so the faults land throughout the run.
    // Each quarter of the orders waits for one more kill, so at least 3 land mid-run however slow the machine.
    const quarter = ORDERS / 4;
    for (let i = 0; i < ORDERS; i++) {
      if (i > 0 && i % quarter === 0) await until(() => kills >= i / quarter, 60_000, `kill ${i / quarter}`);
      c.send(`ord-${i}`, { i });
      if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await until(() => c.unsettled === 0, 90_000, 'every order settled');
    stopChaos = true;
    clearInterval(cutter);
    await killer;

    const runs = new Map<string, number>();
    if (existsSync(sideFile)) {
      for (const line of readFileSync(sideFile, 'utf8').split('\n')) {
        const id = line.split(' ')[0];
        if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
      }
    }
    const twice = [...runs.values()].filter((n) => n > 1).length;
    const ackedNotOnce = [...c.acked.keys()].filter((id) => runs.get(id) !== 1).length;
    const failedCodes = new Set(c.failed.values());
    console.log(
      `${NODES} nodes: ${ORDERS} orders, acked ${c.acked.size}, OUTCOME_UNKNOWN ${c.failed.size}, ` +
        `processed twice ${twice}, kills ${kills}, link cuts ${cuts}, reconnects ${c.connects}, ` +
        `DEDUPE_UNAVAILABLE nacks ${c.retryableNacks}, per node ${proxy.perTarget.join('/')}`,
    );
    expect({ twice, ackedNotOnce, lost: ORDERS - c.settled, conflicting: c.conflictingAcks }).toEqual({
      twice: 0,
      ackedNotOnce: 0,
      lost: 0,
      conflicting: 0,
    });
    expect([...failedCodes].filter((code) => code !== 'OUTCOME_UNKNOWN')).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(cuts).toBeGreaterThanOrEqual(10);
    expect(c.failed.size).toBeLessThan(ORDERS / 4); // at most the in-flight window per kill

    // Every fill whose publish() resolved on some node reaches the client once, in seq order, no gap.
    const published = existsSync(fillsFile)
      ? readFileSync(fillsFile, 'utf8').split('\n').filter(Boolean).map(Number)
      : [];
    await until(
      () => {
        const seen = new Set(fills.map((f) => f.seq));
        return published.every((seq) => seen.has(seq));
      },
      30_000,
      'every published fill received',
    );
    const counts = countInbound(published, fills);
    const stats = fillsClient.getStats();
    console.log(
      `${NODES} nodes: fills published ${published.length}, ${JSON.stringify(counts)}, ` +
        `fills client reconnects ${stats.reconnects}, gaps ${stats.inboundGaps}`,
    );
    expect(published.length).toBeGreaterThanOrEqual(MIN_FILLS);
    expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
    expect(stats.inboundGaps).toBe(0);
    // seq rises by 1 per fill: what the client got is 1..n without a hole (a lost fill would be one).
    const firstArrivals = [...new Set(fills.map((f) => f.seq))];
    expect(firstArrivals).toEqual(firstArrivals.map((_, i) => i + 1));
  }, 150_000);

  it('a node killed mid-handler: the resend on another node waits out the lease and gets OUTCOME_UNKNOWN, never a second run', async () => {
    const sideFile = join(dir, 'mid-handler.log');
    const [slow, other] = [
      { port: await freePort(), child: undefined },
      { port: await freePort(), child: undefined },
    ] as Node[];
    nodes.push(slow!, other!);
    await Promise.all([
      spawnNode(redis.url, slow!, sideFile, 60_000),
      spawnNode(redis.url, other!, sideFile),
    ]);
    const first = await RawClient.connect(`ws://127.0.0.1:${slow!.port}`, 'desk-2');
    first.message('o-1', 'ORDER', { qty: 1 });
    await until(
      () => existsSync(sideFile) && readFileSync(sideFile, 'utf8').includes('o-1'),
      10_000,
      'handler ran',
    );
    await kill(slow!);
    const resend = await RawClient.connect(`ws://127.0.0.1:${other!.port}`, 'desk-2');
    const sentAt = Date.now();
    resend.message('o-1', 'ORDER', { qty: 1 });
    expect(await resend.next(undefined, 'the answer', 10_000)).toMatchObject({
      type: 'nack',
      id: 'o-1',
      code: 'OUTCOME_UNKNOWN',
    });
    expect(Date.now() - sentAt).toBeLessThan(LEASE_MS + 5000); // the lease, plus a poll, on a loaded machine
    expect(readFileSync(sideFile, 'utf8').trim().split('\n')).toHaveLength(1);
    await resend.close();
  }, 60_000);
});
