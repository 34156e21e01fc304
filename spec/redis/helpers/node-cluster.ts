import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoundRobinProxy } from '../../../src/cli/round-robin-proxy';
import { ReliableWebSocketClient } from '../../../src/node';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  type Received,
} from '../../reliability/helpers/inbound-counts';
import {
  freePort,
  startRedisServer,
  type RedisServer,
  type RedisServerOptions,
} from '../../helpers/redis-server';
import { until } from '../../helpers/wait';
import { ResendingClient } from './resending-client';

const CHILD = join(__dirname, 'node-child.ts');

/** One server process of the scale-out specs (node-child.ts) on a fixed port, restartable. */
export interface Node {
  port: number;
  child: ChildProcess | undefined;
  /** Where its handler records each fill it published (see node-child.ts); no fills without it. */
  fillsFile?: string;
  /** Extra environment of the child (see node-child.ts). */
  env?: Record<string, string>;
  /** Lines the child printed (`backend …` health changes among them). */
  output?: string[];
}

/** Starts `node` (node-child.ts) on its port; resolves once it listens. */
export function spawnNode(
  redisUrl: string,
  node: Node,
  sideFile: string,
  leaseMs: number,
  handlerMs = 15,
): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...node.env };
  if (node.fillsFile !== undefined) env['FILLS_FILE'] = node.fillsFile;
  else delete env['FILLS_FILE'];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, redisUrl, String(node.port), sideFile, String(leaseMs), String(handlerMs)],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  node.child = child;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    node.output?.push(...lines);
  });
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

/** kill -9; resolves once the process is gone. */
export function kill(node: Node): Promise<void> {
  const child = node.child;
  node.child = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** How many times each order ran, from the handlers' side file (`<messageId> <pid>` per run). */
export function readRuns(sideFile: string): Map<string, number> {
  const runs = new Map<string, number>();
  if (!existsSync(sideFile)) return runs;
  for (const line of readFileSync(sideFile, 'utf8').split('\n')) {
    const id = line.split(' ')[0];
    if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}

/** The seqs of the fills whose `publish()` resolved, from the handlers' fills file. */
export function readPublished(fillsFile: string): number[] {
  return existsSync(fillsFile) ? readFileSync(fillsFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/**
 * The library client of the account (no auth: principal `anonymous`) that receives the fills,
 * through the balancer at `url`: every reconnect may land on another node and resumes there.
 */
export function fillsClient(url: string): { client: ReliableWebSocketClient; fills: Received[] } {
  const fills: Received[] = [];
  const client = new ReliableWebSocketClient(url, {
    clientId: 'desk-fills',
    enablePersistence: false,
    reconnectInterval: 10,
    maxReconnectAttempts: 100_000,
    backoff: { maxInterval: 100 },
    connectTimeout: 1000,
  });
  client.messages$.subscribe((m) => {
    if (m.stream === 'principal:anonymous')
      fills.push({ n: m.seq!, seq: m.seq!, redelivered: m.redelivered! });
  });
  return { client, fills };
}

/** Every fill whose publish() resolved on some node reaches the client once, in seq order, no gap. */
export async function expectEveryFillOnce(
  label: string,
  fillsFile: string,
  received: { client: ReliableWebSocketClient; fills: Received[] },
  minFills: number,
): Promise<void> {
  const { client, fills } = received;
  const published = readPublished(fillsFile);
  await until(
    () => {
      const seen = new Set(fills.map((f) => f.seq));
      return published.every((seq) => seen.has(seq));
    },
    30_000,
    'every published fill received',
  );
  const counts = countInbound(published, fills);
  const stats = client.getStats();
  console.log(
    `${label}: fills published ${published.length}, ${JSON.stringify(counts)}, ` +
      `fills client reconnects ${stats.reconnects}, gaps ${stats.inboundGaps}`,
  );
  expect(published.length).toBeGreaterThanOrEqual(minFills);
  expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
  expect(stats.inboundGaps).toBe(0);
  // seq rises by 1 per fill: what the client got is 1..n without a hole (a lost fill would be one).
  const firstArrivals = [...new Set(fills.map((f) => f.seq))];
  expect(firstArrivals).toEqual(firstArrivals.map((_, i) => i + 1));
}

/** The 3-node specs' set-up: Redis, the nodes behind a round-robin balancer, the fills client and the orders client. */
export interface OrdersCluster {
  redis: RedisServer;
  dir: string;
  /** Where the handlers record each run of an order (see readRuns). */
  sideFile: string;
  fillsFile: string;
  nodes: Node[];
  proxy: RoundRobinProxy;
  received: { client: ReliableWebSocketClient; fills: Received[] };
  orders: ResendingClient;
}

export interface OrdersClusterOptions {
  nodes: number;
  leaseMs: number;
  redis?: RedisServerOptions;
  /** Extra environment of each node. */
  env?: Record<string, string>;
  /** Keep each node's output lines (Node.output). */
  keepOutput?: boolean;
}

/** Starts the cluster; `into` gets each part as soon as it exists, so a failed start is still stopped by stopOrdersCluster. */
export async function startOrdersCluster(
  options: OrdersClusterOptions,
  into: Partial<OrdersCluster> = {},
): Promise<OrdersCluster> {
  const redis = (into.redis = await startRedisServer(options.redis));
  const dir = (into.dir = mkdtempSync(join(tmpdir(), 'rx-3nodes-')));
  const sideFile = (into.sideFile = join(dir, 'processed.log'));
  const fillsFile = (into.fillsFile = join(dir, 'fills.log'));
  const nodes: Node[] = (into.nodes = []);
  for (let i = 0; i < options.nodes; i++)
    nodes.push({
      port: await freePort(),
      child: undefined,
      fillsFile,
      ...(options.env && { env: options.env }),
      ...(options.keepOutput && { output: [] }),
    });
  await Promise.all(nodes.map((node) => spawnNode(redis.url, node, sideFile, options.leaseMs)));
  const proxy = (into.proxy = new RoundRobinProxy({
    targets: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
  }));
  await proxy.listen();
  // The library client of the same account receives the fills through the same balancer.
  const received = (into.received = fillsClient(proxy.url));
  await received.client.connect(); // its cursor is the empty stream's head: every fill comes after it
  into.orders = new ResendingClient(() => proxy.url, { clientId: 'desk-1', resendMs: 600, window: 100 });
  return into as OrdersCluster;
}

/** Stops whatever part of the cluster was started (Redis thawed first, in case a fault froze it). */
export async function stopOrdersCluster(cluster: Partial<OrdersCluster>): Promise<void> {
  cluster.orders?.stop();
  await cluster.received?.client.close();
  await cluster.proxy?.close();
  await Promise.all((cluster.nodes ?? []).map(kill));
  cluster.redis?.thaw();
  await cluster.redis?.stop();
  if (cluster.dir) rmSync(cluster.dir, { recursive: true, force: true });
}

/** The orders' bad counts (each expected 0): processed twice, acked but not processed once, never settled, conflicting acks. */
export function orderFaults(
  sideFile: string,
  orders: ResendingClient,
  sent: number,
): { twice: number; ackedNotOnce: number; lost: number; conflicting: number } {
  const runs = readRuns(sideFile);
  return {
    twice: [...runs.values()].filter((n) => n > 1).length,
    ackedNotOnce: [...orders.acked.keys()].filter((id) => runs.get(id) !== 1).length,
    lost: sent - orders.settled,
    conflicting: orders.conflictingAcks,
  };
}
