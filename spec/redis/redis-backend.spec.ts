import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../src/node';
import { redisBackend } from '../../src/redis/index';
import { ReliableWebSocketServer, type ReliableWebSocketServerOptions } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { until } from '../helpers/wait';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const start = useServers();
let app = 0;
/** Nodes of one app (one key prefix) on the spec's Redis. */
function cluster(): (options?: ReliableWebSocketServerOptions) => ReturnType<typeof start> {
  const keyPrefix = `app${++app}:`;
  return (options = {}) =>
    start({ heartbeatInterval: 0, backend: redisBackend({ url: redis.url, keyPrefix }), ...options });
}

function counting(server: ReliableWebSocketServer, runs: Map<string, number>, answer: () => unknown): void {
  server.handle('ORDER', async (_payload, ctx) => {
    runs.set(ctx.messageId, (runs.get(ctx.messageId) ?? 0) + 1);
    return answer();
  });
}

describe('redisBackend', () => {
  it('answers a resend on another node from the first node’s outcome, without running the handler again', async () => {
    const node = cluster();
    const [a, b] = [await node(), await node()];
    const runs = new Map<string, number>();
    let n = 0;
    counting(a.server, runs, () => ({ order: ++n }));
    counting(b.server, runs, () => ({ order: ++n }));
    const onA = await RawClient.connect(a.url, 'c1');
    onA.message('m1', 'ORDER');
    expect(await onA.next()).toEqual({ type: 'ack', id: 'm1', response: { order: 1 } });
    await onA.close();
    const onB = await RawClient.connect(b.url, 'c1');
    onB.message('m1', 'ORDER');
    expect(await onB.next()).toEqual({ type: 'ack', id: 'm1', response: { order: 1 } });
    expect(runs.get('m1')).toBe(1);
    expect(b.server.stats()).toMatchObject({ duplicates: 1, messagesHandled: 0 });
    await onB.close();
  });

  it('makes a resend on node B wait for node A’s handler: answered once, handler ran once', async () => {
    const node = cluster();
    const [a, b] = [await node(), await node()];
    const runs = new Map<string, number>();
    let release!: (value: unknown) => void;
    const started = new Promise<void>((resolve) =>
      a.server.handle('ORDER', (_p, ctx) => {
        runs.set(ctx.messageId, (runs.get(ctx.messageId) ?? 0) + 1);
        resolve();
        return new Promise((done) => (release = done));
      }),
    );
    counting(b.server, runs, () => ({ from: 'b' }));
    const onA = await RawClient.connect(a.url, 'c1');
    onA.message('m1', 'ORDER');
    await started;
    const onB = await RawClient.connect(b.url, 'c1'); // takes the session: A's socket closes 4003
    const duplicate = firstValueFrom(b.server.events$.pipe(filter((e) => e.type === 'duplicate')));
    onB.message('m1', 'ORDER');
    expect(await duplicate).toMatchObject({ messageId: 'm1', inFlight: true });
    expect(onB.pending).toEqual([]);
    release({ from: 'a' });
    expect(await onB.next()).toEqual({ type: 'ack', id: 'm1', response: { from: 'a' } });
    expect(runs.get('m1')).toBe(1);
    expect((await onA.closed).code).toBe(4003);
    await onB.close();
  });

  it('closes a session with 4003 on the old node when another node takes it over', async () => {
    const node = cluster();
    const [a, b] = [await node(), await node()];
    const old = await RawClient.connect(a.url, 'c1');
    const other = await RawClient.connect(a.url, 'c2');
    const fresh = await RawClient.connect(b.url, 'c1');
    expect((await old.closed).code).toBe(4003);
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    await Promise.all([fresh.close(), other.close()]);
  });

  it('fans send and broadcast out to sessions on every node, at most once each', async () => {
    const node = cluster();
    const [a, b] = [await node(), await node()];
    const onA = await RawClient.connect(a.url, 'c1');
    const onB = await RawClient.connect(b.url, 'c2');
    expect(b.server.send('c1', 'PRICE', { bid: 1 })).toBe(true);
    expect(await onA.next((e) => e.type === 'data')).toMatchObject({ name: 'PRICE', payload: { bid: 1 } });
    expect(a.server.broadcast('HALT', { all: true })).toBe(1);
    expect(await onA.next((e) => e.name === 'HALT')).toMatchObject({ payload: { all: true } });
    expect(await onB.next((e) => e.name === 'HALT')).toMatchObject({ payload: { all: true } });
    await Promise.all([onA.close(), onB.close()]);
    expect([...onA.pending, ...onB.pending]).toEqual([]);
  });

  it('resumes a client on another node: received on A, published on B while away, replayed on C in order, no gap', async () => {
    const node = cluster();
    const [a, b, c] = [await node(), await node(), await node()];
    const dir = mkdtempSync(join(tmpdir(), 'rx-resume-'));
    const got: Array<{ n: number; seq: number | undefined; redelivered: boolean | undefined }> = [];
    let gaps = 0;
    /** The library client on `url`, its cursor in the file journal of `dir` (one client at a time). */
    const trader = (url: string) => {
      const storage = new FileStorageAdapter(dir);
      const client = new ReliableWebSocketClient(url, {
        clientId: 'desk-1',
        storage,
        enablePersistence: true,
      });
      client.messages$.subscribe((m) =>
        got.push({ n: (m.payload as { n: number }).n, seq: m.seq, redelivered: m.redelivered }),
      );
      client.events$.subscribe((e) => e.type === 'inboundGap' && gaps++);
      return { client, storage };
    };
    const stream = 'principal:anonymous';
    try {
      const first = trader(a.url);
      await first.client.connect();
      for (let n = 1; n <= 3; n++) await a.server.publish(stream, 'FILL', { n });
      await until(() => got.length === 3, 5000, 'three fills on A');
      await first.client.close(); // the cursor (seq 3) is in the journal
      await first.storage.close();

      for (let n = 4; n <= 8; n++) await b.server.publish(stream, 'FILL', { n }); // nobody connected

      const second = trader(c.url);
      await second.client.connect();
      await until(() => got.length === 8, 5000, 'the replay on C');
      await a.server.publish(stream, 'FILL', { n: 9 }); // live, published on a third node
      await until(() => got.length === 9, 5000, 'the live fill on C');
      await second.client.close();
      await second.storage.close();
      expect(got).toEqual(
        Array.from({ length: 9 }, (_, i) => ({ n: i + 1, seq: i + 1, redelivered: false })),
      );
      expect(gaps).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports its health in stats()', async () => {
    const node = cluster();
    const { server } = await node();
    expect(server.stats().backend).toMatchObject({ healthy: true, detail: 'ok' });
  });

  it('reports, as a health change, a Redis that lost its data, then serves again', async () => {
    const own = await startRedisServer();
    try {
      const server = new ReliableWebSocketServer({
        port: 0,
        backend: redisBackend({ url: own.url, healthIntervalMs: 50 }),
      });
      const lost = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'backend' && !e.healthy)));
      await server.listen();
      const back = new Promise<void>((resolve) =>
        server.events$.pipe(filter((e) => e.type === 'backend' && e.healthy)).subscribe(() => resolve()),
      );
      const { IoredisPort } = await import('../../src/redis/ioredis-port');
      const admin = new IoredisPort({ url: own.url });
      await admin.connected(2000);
      await admin.command('FLUSHALL', []);
      await admin.close();
      expect(await lost).toMatchObject({ detail: expect.stringMatching(/Redis lost its data.*AOF/) });
      await back;
      expect(server.stats().backend).toMatchObject({ healthy: true });
      await server.close();
    } finally {
      await own.stop();
    }
  });

  it('refuses to start on a Redis whose maxmemory-policy evicts keys', async () => {
    const evicting = await startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const server = new ReliableWebSocketServer({ port: 0, backend: redisBackend({ url: evicting.url }) });
      await expect(server.listen()).rejects.toThrow(/maxmemory-policy allkeys-lru.*noeviction/s);
    } finally {
      await evicting.stop();
    }
  });

  it('refuses to start when Redis cannot be reached, saying so', async () => {
    const gone = await startRedisServer();
    await gone.stop();
    const backend = redisBackend({ url: gone.url, connectTimeoutMs: 500 });
    const server = new ReliableWebSocketServer({ port: 0, backend });
    await expect(server.listen()).rejects.toThrow(/Redis did not answer within 500 ms/);
  });
});

describe('rx-reliable-ws/redis without ioredis', () => {
  it('fails on import with an error naming the install command', () => {
    jest.isolateModules(() => {
      jest.doMock('ioredis', () => {
        throw new Error("Cannot find module 'ioredis'");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(() => require('../../src/redis/index')).toThrow(/npm install ioredis@\^6/);
    });
  });
});
