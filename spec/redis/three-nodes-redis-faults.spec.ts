import { until } from '../helpers/wait';
import {
  expectEveryFillOnce,
  orderFaults,
  startOrdersCluster,
  stopOrdersCluster,
  type Node,
  type OrdersCluster,
} from './helpers/node-cluster';

const ORDERS = 3000;
const MIN_FILLS = 1000;
const NODES = 3;
const LEASE_MS = 1000;
const FREEZE_MS = 3000;

/**
 * The 3-node run of three-nodes.spec.ts with Redis itself failing instead of
 * the nodes: frozen (SIGSTOP) 3 s, later restarted (AOF `always`), while a
 * client sends 3,000 orders through the balancer and the handlers publish
 * fills. The nodes fail closed (DEDUPE_UNAVAILABLE, publish rejected, health
 * down) and recover without a restart; the counts are the same as there.
 */
describe(`${NODES} nodes on one Redis that is frozen, then restarted`, () => {
  const cluster: Partial<OrdersCluster> = {};
  afterAll(() => stopOrdersCluster(cluster));

  it(`Redis frozen 3 s and restarted mid-run of ${ORDERS} orders and ≥ ${MIN_FILLS} fills: fail closed, recover; orders 0 twice, every ack processed once, the rest only OUTCOME_UNKNOWN; fills 0 lost, 0 twice, in order`, async () => {
    const {
      redis,
      sideFile,
      fillsFile,
      nodes,
      received,
      orders: c,
    } = await startOrdersCluster(
      {
        nodes: NODES,
        leaseMs: LEASE_MS,
        redis: { persistent: true },
        env: { FILL_REJECTED: 'skip' },
        keepOutput: true,
      },
      cluster,
    );

    // Redis frozen 3 s after a third of the orders, restarted after two thirds (and 1 s after the thaw at
    // least); the orders keep coming meanwhile.
    const faults: Array<() => Promise<void>> = [
      async () => {
        redis.freeze();
        await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
        redis.thaw();
      },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1000)); // orders flow again between the faults
        await redis.restart();
      },
    ];
    let fault: Promise<void> = Promise.resolve();
    for (let i = 0; i < ORDERS; i++) {
      if (i > 0 && i % (ORDERS / 3) === 0) {
        await fault;
        fault = faults[i / (ORDERS / 3) - 1]!();
      }
      c.send(`ord-${i}`, { i });
      if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await fault;
    await until(() => c.unsettled === 0, 90_000, 'every order settled');

    const counts = orderFaults(sideFile, c, ORDERS);
    const healthOf = (node: Node): string[] => node.output!.filter((line) => line.startsWith('backend '));
    // Each node reports the recovery on its own health check.
    await until(
      () => nodes.every((node) => healthOf(node).at(-1)?.startsWith('backend up')),
      10_000,
      'nodes healthy',
    );
    const health = nodes.map(healthOf);
    console.log(
      `${NODES} nodes, Redis frozen and restarted: ${ORDERS} orders, acked ${c.acked.size}, ` +
        `OUTCOME_UNKNOWN ${c.failed.size}, processed twice ${counts.twice}, ` +
        `DEDUPE_UNAVAILABLE nacks ${c.retryableNacks}, health changes per node ${health.map((h) => h.length).join('/')}`,
    );
    expect(counts).toEqual({
      twice: 0,
      ackedNotOnce: 0,
      lost: 0,
      conflicting: 0,
    });
    expect([...new Set(c.failed.values())].filter((code) => code !== 'OUTCOME_UNKNOWN')).toEqual([]);
    expect(c.retryableNacks).toBeGreaterThan(0); // failed closed while Redis was away
    // Every node reported each loss (the freeze, the restart) and each recovery (its events$), and ends healthy.
    for (const lines of health) {
      expect(lines.filter((line) => line.startsWith('backend down')).length).toBeGreaterThanOrEqual(2);
      expect(lines[lines.length - 1]).toMatch(/^backend up/);
    }
    await expectEveryFillOnce(`${NODES} nodes, Redis frozen and restarted`, fillsFile, received, MIN_FILLS);
  }, 150_000);
});
