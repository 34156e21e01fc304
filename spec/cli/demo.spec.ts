import { runDemo } from '../../src/cli/demo';

describe('rx-reliable-ws demo', () => {
  it('sends signals through resets and black-holes: nothing lost, nothing processed twice', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const summary = await runDemo({ signals: 300, rate: 150, seed: 7, quiet: true });
      expect(summary).toMatchObject({ sent: 300, acknowledged: 300, failed: 0, lost: 0, duplicated: 0 });
      expect(summary).toMatchObject({ reports: 300, reportsLost: 0, reportsTwice: 0, gaps: 0 });
      expect(log.mock.calls.flat().join('\n')).toContain('OK: nothing lost, nothing processed twice.');
    } finally {
      log.mockRestore();
    }
  }, 60_000);
});
