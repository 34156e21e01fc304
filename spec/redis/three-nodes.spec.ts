import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/redis-server';
import { RawClient } from '../helpers/raw-client';
import { until } from '../helpers/wait';
import {
  expectEveryFillOnce,
  kill,
  orderFaults,
  spawnNode as spawnWithLease,
  startOrdersCluster,
  stopOrdersCluster,
  type Node,
  type OrdersCluster,
} from './helpers/node-cluster';

const ORDERS = 3000;
/** Each order's handler publishes one fill; some orders end OUTCOME_UNKNOWN, so expect a bit less than one per order. */
const MIN_FILLS = 1000;
const NODES = 3;
const KILL_EVERY_MS = 2000;
const CUT_EVERY_MS = 700;
const LEASE_MS = 1000;

const spawnNode = (redisUrl: string, node: Node, sideFile: string, handlerMs?: number): Promise<void> =>
  spawnWithLease(redisUrl, node, sideFile, LEASE_MS, handlerMs);

describe(`${NODES} nodes on one Redis behind a round-robin balancer`, () => {
  const cluster: Partial<OrdersCluster> = {};
  afterAll(() => stopOrdersCluster(cluster));

  it(`kill -9 a node every ~2 s and cut links while a client sends ${ORDERS} orders and the nodes publish ≥ ${MIN_FILLS} fills: orders 0 twice, every ack processed once, the rest only OUTCOME_UNKNOWN; fills 0 lost, 0 twice, in order`, async () => {
    const {
      redis,
      sideFile,
      fillsFile,
      nodes,
      proxy,
      received,
      orders: c,
    } = await startOrdersCluster({ nodes: NODES, leaseMs: LEASE_MS }, cluster);

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
      proxy.resetAll();
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

    const faults = orderFaults(sideFile, c, ORDERS);
    const failedCodes = new Set(c.failed.values());
    console.log(
      `${NODES} nodes: ${ORDERS} orders, acked ${c.acked.size}, OUTCOME_UNKNOWN ${c.failed.size}, ` +
        `processed twice ${faults.twice}, kills ${kills}, link cuts ${cuts}, reconnects ${c.connects}, ` +
        `DEDUPE_UNAVAILABLE nacks ${c.retryableNacks}, per node ${proxy.perTarget.join('/')}`,
    );
    expect(faults).toEqual({
      twice: 0,
      ackedNotOnce: 0,
      lost: 0,
      conflicting: 0,
    });
    expect([...failedCodes].filter((code) => code !== 'OUTCOME_UNKNOWN')).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(cuts).toBeGreaterThanOrEqual(10);
    expect(c.failed.size).toBeLessThan(ORDERS / 4); // at most the in-flight window per kill

    await expectEveryFillOnce(`${NODES} nodes`, fillsFile, received, MIN_FILLS);
  }, 150_000);

  it('a node killed mid-handler: the resend on another node waits out the lease and gets OUTCOME_UNKNOWN, never a second run', async () => {
    const { redis, dir, nodes } = cluster as OrdersCluster;
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
