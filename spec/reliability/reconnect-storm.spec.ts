import { faults, formatCounts, NO_FAULTS, reliabilityScale } from './helpers/counts';
import { formatHistogram, runStormScenario } from './helpers/storm-scenario';

const CLIENTS = Math.round(150 * reliabilityScale());
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);
const BUCKET_MS = 100;

describe('reconnect storm', () => {
  it(`${CLIENTS} clients whose server goes away for 500 ms all come back, spread by jitter; none gives up`, async () => {
    const result = await runStormScenario({ clients: CLIENTS, downMs: 500, bucketMs: BUCKET_MS, seed: SEED });
    console.log(
      `${formatCounts('reconnect storm', result, {
        seed: result.seed,
        clients: result.clients,
        reconnected: result.reconnected,
        'gave up': result.gaveUp,
        'max attempts': `${result.maxAttempts}/${result.attemptLimit}`,
        'reconnect p50 ms': result.p50,
        'p99 ms': result.p99,
        'last ms': result.lastMs,
      })}\nreconnections after the server came back:\n${formatHistogram(result.histogram, BUCKET_MS)}`,
    );
    expect({ reconnected: result.reconnected, gaveUp: result.gaveUp }).toEqual({
      reconnected: CLIENTS,
      gaveUp: 0,
    });
    expect(result.maxAttempts).toBeLessThan(result.attemptLimit);
    // Spread, not a stampede: several buckets used, none holding half the clients.
    expect(result.histogram.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...result.histogram)).toBeLessThan(CLIENTS / 2);
    // The message each client queued during the outage was delivered once.
    expect(faults(result)).toEqual(NO_FAULTS);
    expect(result.processedOnce).toBe(CLIENTS);
  }, 60_000);
});
