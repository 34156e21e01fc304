import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { ReliableWebSocketServer, type MessageHandler } from '../server/index';
import { RoundRobinProxy } from './round-robin-proxy';
import { freePort } from './free-port';

export const REDIS_INSTALL_HINT =
  'redis-server is not installed: `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), ' +
  'and `npm install ioredis@^6`; then run `npm start -- --nodes 3` again.';

/** `redis-server` on PATH or at Debian's path, if installed. */
export function findRedisServer(): string | undefined {
  const candidates = [
    ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')),
    '/usr/bin/redis-server',
  ];
  return candidates.find((file) => file.length > 12 && existsSync(file));
}

export interface DemoCluster {
  /** The round-robin balancer in front of the nodes. */
  port: number;
  redisUrl: string;
  /** Node restarts so far. */
  restarts: number;
  /** Closes one node and starts it again on its port (a rolling deploy); the others keep serving. */
  restartOne(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The demo's `--nodes N`: a throwaway `redis-server` (nothing on disk), N
 * servers in this process on one Redis backend, and a round-robin balancer.
 */
export async function startDemoCluster(
  nodes: number,
  apiKey: string,
  /** The handler for one node, given that node (e.g. to publish on it). */
  handlerOn: (server: ReliableWebSocketServer) => MessageHandler,
): Promise<DemoCluster> {
  const { redisBackend } = await import('../redis/index');
  const redis = await startLocalRedis();
  const redisUrl = redis.url;
  const start = async (port: number): Promise<ReliableWebSocketServer> => {
    const server = new ReliableWebSocketServer({
      host: '127.0.0.1',
      port,
      apiKeys: [apiKey],
      backend: redisBackend({ url: redisUrl, leaseMs: 2000 }),
    });
    server.handle('TRADE_SIGNAL', handlerOn(server));
    await server.listen();
    return server;
  };
  const servers: ReliableWebSocketServer[] = [];
  const ports: number[] = [];
  for (let i = 0; i < nodes; i++) {
    const port = await freePort();
    ports.push(port);
    servers.push(await start(port));
  }
  const proxy = new RoundRobinProxy({ targets: ports.map((port) => ({ host: '127.0.0.1', port })) });
  await proxy.listen();
  let next = 0;
  const cluster: DemoCluster = {
    port: proxy.port,
    redisUrl,
    restarts: 0,
    async restartOne() {
      const i = next++ % nodes;
      await servers[i]!.close();
      servers[i] = await start(ports[i]!);
      cluster.restarts++;
    },
    async close() {
      await proxy.close();
      await Promise.all(servers.map((s) => s.close()));
      redis.stop();
    },
  };
  return cluster;
}

/** A throwaway `redis-server` on 127.0.0.1 and a free port, nothing on disk; throws how to install it when missing. */
export async function startLocalRedis(): Promise<{ url: string; stop: () => void }> {
  const bin = findRedisServer();
  if (bin === undefined) throw new Error(REDIS_INSTALL_HINT);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(bin, args, { stdio: 'ignore' });
  await waitForPort(port, child);
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGTERM') };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`redis-server did not start on port ${port}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
