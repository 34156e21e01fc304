import { demo, runDemo } from '../../src/cli/demo';
import { main } from '../../src/cli/index';

describe('rx-reliable-ws CLI', () => {
  it('top-level --help lists every demo option, --seed and --quiet included', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['--help'])).toBe(0);
      const help = log.mock.calls.flat().join('\n');
      for (const option of ['--signals', '--rate', '--seed', '--quiet', '--port', '--api-key'])
        expect(help).toContain(option);
    } finally {
      log.mockRestore();
    }
  });

  it.each([
    [['--signals', '-5'], /--signals must be a positive whole number, got "-5"/],
    [['--rate', '-1'], /--rate must be a positive whole number, got "-1"/],
    [['--seed=-3'], /--seed must be a positive whole number, got "-3"/],
  ])('demo %j fails with the project message, not parseArgs', async (argv, message) => {
    await expect(demo(argv)).rejects.toThrow(message);
  });

  it('prints plain progress lines (no \\r) when the output is not a terminal', async () => {
    const chunks: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const summary = await runDemo({
        signals: 150,
        rate: 100,
        seed: 3,
        out: { write: (text: string) => chunks.push(text), isTTY: false },
      });
      expect(summary.lost).toBe(0);
    } finally {
      log.mockRestore();
    }
    const text = chunks.join('');
    expect(text).not.toContain('\r');
    const lines = text.split('\n').filter((l) => l.startsWith('['));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((l) => /^\[\s*\d+\.\ds\] sent/.test(l))).toBe(true);
  }, 60_000);
});
