import { runDemo } from '../../src/cli/demo';

describe('rx-reliable-ws demo --nodes 3', () => {
  it('runs three nodes on a local redis-server behind a balancer, restarting one every 2 s: nothing lost, nothing processed twice', async () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const summary = await runDemo({
        signals: 600,
        rate: 120,
        seed: 7,
        nodes: 3,
        out: { write: (text: string) => lines.push(text) },
      });
      expect(summary).toMatchObject({
        sent: 600,
        lost: 0,
        duplicated: 0,
        reportsLost: 0,
        reportsTwice: 0,
        gaps: 0,
      });
      expect(summary.acknowledged + summary.failed).toBe(600);
      const text = lines.join('');
      expect(text).toMatch(/demo: 3 nodes on redis:\/\/127\.0\.0\.1:\d+ behind a round-robin balancer/);
      expect(Number(/demo: (\d+) node restarts/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      log.mockRestore();
    }
  }, 90_000);
});
