import { runChaosScenario } from './helpers/chaos-scenario';
import { faults, formatCounts, NO_FAULTS, reliabilityScale } from './helpers/counts';

const scale = reliabilityScale();
const MESSAGES = Math.round(3000 * scale);
const RATE = 600;
const SEED = Number(process.env['RELIABILITY_SEED'] ?? Date.now() % 1_000_000);

describe('delivery through random resets and black-holes (FaultProxy + chaos)', () => {
  it(
    `acknowledges all ${MESSAGES} sends across three priorities: 0 lost, 0 processed twice, FIFO per priority`,
    async () => {
      const result = await runChaosScenario({
        messages: MESSAGES,
        ratePerSecond: RATE,
        seed: SEED,
        settleTimeoutMs: 20_000,
      });
      console.log(
        formatCounts('chaos', result, {
          seed: result.seed,
          failed: result.failed,
          unsettled: result.unsettled,
          reconnects: result.reconnects,
          resets: result.resets,
          'black-holes': result.blackholes,
          'server dedupe hits': result.serverDuplicates,
          'p50 ms': result.p50,
          'p99 ms': result.p99,
        }),
      );
      expect({ ...faults(result), failures: result.failures }).toEqual({ ...NO_FAULTS, failures: {} });
      expect(result.processedOnce).toBe(MESSAGES);
      // The faults really happened: many resets, at least one black-hole, reconnects after them.
      expect(result.resets).toBeGreaterThanOrEqual(Math.floor(result.durationMs / 1000));
      expect(result.blackholes).toBeGreaterThanOrEqual(1);
      expect(result.reconnects).toBeGreaterThanOrEqual(5);
    },
    60_000 * scale,
  );
});
