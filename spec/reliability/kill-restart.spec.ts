import { faults, formatCounts, NO_FAULTS, reliabilityScale } from './helpers/counts';
import { runKillScenario } from './helpers/kill-scenario';

const KILLS = Math.round(8 * reliabilityScale());
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);

describe('kill -9 of a client on FileStorageAdapter, then a restart on the same directory', () => {
  it(`${KILLS} kills at random moments (offline queueing, mid-flush): every resolved send is processed exactly once`, async () => {
    const result = await runKillScenario({ kills: KILLS, perRun: 1500, maxKillDelayMs: 250, seed: SEED });
    const runs = result.runs.map(
      (r) => `${r.mode[1]}${r.killAfterMs}:${r.sentLines}s/${r.ackedLines}a${r.done ? '*' : ''}`,
    );
    console.log(
      formatCounts('kill -9', result, {
        seed: result.seed,
        kills: result.kills,
        'restored at restart': result.restoredAtRestart,
        failed: result.failed,
        'runs (mode killMs:sent/acked, * = all sends done)': runs.join(' '),
      }),
    );
    expect(result.crashes).toEqual([]);
    expect(result.kills).toBe(KILLS);
    // Acknowledged = an ack event seen by some client process (a killed child's or the restarted one's).
    expect({ ...faults(result), failed: result.failed }).toEqual({ ...NO_FAULTS, failed: 0 });
    expect(result.processedOnce).toBe(result.sent);
    // The kills landed mid-way: in both modes some child died with sends still pending, and some
    // connected child died while flushing (it had acked part of the backlog the offline run before left).
    const midSend = (mode: string) => result.runs.filter((r) => r.mode === mode && !r.done).length;
    expect({ offline: midSend('offline') > 0, online: midSend('online') > 0 }).toEqual({
      offline: true,
      online: true,
    });
    expect(result.runs.some((r) => r.mode === 'online' && r.ackedLines > 0 && !r.done)).toBe(true);
    expect(result.sent).toBeGreaterThan(KILLS);
  }, 90_000);
});
