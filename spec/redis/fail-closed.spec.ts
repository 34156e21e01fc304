import { ReliableWebSocketClient } from '../../src/node';
import { redisBackend } from '../../src/redis/index';
import type { ServerEvent } from '../../src/server/index';
import { ReliableWebSocketServer } from '../../src/server/index';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { until } from '../helpers/wait';
import { ResendingClient } from './helpers/resending-client';

const ORDERS = 1500;

interface Run {
  server: ReliableWebSocketServer;
  client: ResendingClient;
  runs: Map<string, number>;
  events: ServerEvent[];
  port: number;
}

async function startRun(redis: RedisServer): Promise<Run> {
  const server = new ReliableWebSocketServer({
    port: 0,
    heartbeatInterval: 0,
    backend: redisBackend({ url: redis.url, commandTimeoutMs: 300, healthIntervalMs: 100 }),
  });
  const runs = new Map<string, number>();
  server.handle('ORDER', async (_payload, ctx) => {
    runs.set(ctx.messageId, (runs.get(ctx.messageId) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
    return { filled: ctx.messageId };
  });
  const events: ServerEvent[] = [];
  server.events$.subscribe((e) => e.type === 'backend' && events.push(e));
  const { port } = await server.listen();
  const client = new ResendingClient(() => `ws://127.0.0.1:${port}`, { clientId: 'desk-1', resendMs: 500 });
  return { server, client, runs, events, port };
}

/** Sends ORDERS orders at ~5 per ms-tick, so the fault lands mid-run. */
async function sendPaced(
  client: ResendingClient,
  fault: { at: number; run: () => Promise<void> },
): Promise<void> {
  let faulted: Promise<void> | undefined;
  for (let i = 0; i < ORDERS; i++) {
    client.send(`o-${i}`, { i });
    if (i === fault.at) faulted = fault.run();
    if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await faulted;
}

function expectExactlyOnce({ client, runs }: Run): void {
  const twice = [...runs.values()].filter((n) => n > 1).length;
  const lost = ORDERS - client.acked.size - client.failed.size;
  const unknownOnly = [...client.failed.values()].every((code) => code === 'OUTCOME_UNKNOWN');
  const ackedOnce = [...client.acked.keys()].every((id) => runs.get(id) === 1);
  expect({ twice, lost, unknownOnly, ackedOnce, conflicting: client.conflictingAcks }).toEqual({
    twice: 0,
    lost: 0,
    unknownOnly: true,
    ackedOnce: true,
    conflicting: 0,
  });
}

describe('Redis backend fails closed and recovers', () => {
  let redis: RedisServer;
  let run: Run | undefined;
  afterEach(async () => {
    run?.client.stop();
    await run?.server.close();
    await redis.stop();
  });

  it(`Redis frozen (SIGSTOP) 3 s mid-run: nacks DEDUPE_UNAVAILABLE, recovers, ${ORDERS} orders 0 lost, 0 twice`, async () => {
    redis = await startRedisServer();
    run = await startRun(redis);
    const r = run;
    await sendPaced(r.client, {
      at: 300,
      run: async () => {
        redis.freeze();
        await until(() => r.events.some((e) => e.type === 'backend' && !e.healthy), 3000, 'backend down');
        expect(r.server.stats().backend).toMatchObject({ healthy: false });
        await new Promise((resolve) => setTimeout(resolve, 3000));
        redis.thaw();
      },
    });
    await until(() => r.client.unsettled === 0, 30_000, 'every order settled');
    expectExactlyOnce(r);
    expect(r.client.retryableNacks).toBeGreaterThan(0);
    const health = r.events.map((e) => e.type === 'backend' && e.healthy);
    // Up at listen(), lost, back (a loaded machine may add a flap; the order is what matters).
    expect([health[0], health.includes(false), health[health.length - 1]]).toEqual([true, true, true]);
    expect(r.server.stats().backend).toMatchObject({ healthy: true });
  }, 60_000);

  it('the library client keeps its messages through a 3 s freeze and resends them: all acked, each processed once', async () => {
    redis = await startRedisServer();
    run = await startRun(redis);
    run.client.stop(); // this case uses ReliableWebSocketClient instead
    const { server, runs } = run;
    const { port } = run;
    const client = new ReliableWebSocketClient(`ws://127.0.0.1:${port}`, {
      enablePersistence: false,
      messageTimeout: 500,
      maxRetries: 20,
      queueSize: 2000,
    });
    try {
      await client.connect();
      const results = Array.from({ length: 600 }, (_, i) => {
        if (i === 200) redis.freeze();
        return client.sendWithAcknowledgement({ type: 'ORDER', payload: { i } });
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      redis.thaw();
      const settled = await Promise.all(results);
      const acked = settled.filter((r) => r.acknowledged);
      expect(acked).toHaveLength(600);
      expect(acked.every((r) => runs.get(r.messageId) === 1)).toBe(true);
      expect([...runs.values()].filter((n) => n > 1)).toEqual([]);
      expect(server.stats().nacks).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  }, 60_000);

  it(`Redis restarted mid-run (AOF): fails closed, recovers without a node restart, ${ORDERS} orders 0 lost, 0 twice`, async () => {
    redis = await startRedisServer({ persistent: true });
    run = await startRun(redis);
    const r = run;
    await sendPaced(r.client, { at: 300, run: () => redis.restart() });
    await until(() => r.client.unsettled === 0, 30_000, 'every order settled');
    expectExactlyOnce(r);
    expect(r.events.some((e) => e.type === 'backend' && !e.healthy)).toBe(true);
    expect(r.server.stats().backend).toMatchObject({ healthy: true });
  }, 60_000);
});
