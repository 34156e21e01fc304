/**
 * `npm run soak`: the long versions of the reliability specs, bounded in time.
 *
 *   1. chaos:  SOAK_MESSAGES (default 20,000) acknowledged sends across three
 *              priorities through resets every 50-500 ms and black-holes;
 *   2. storm:  SOAK_CLIENTS (default 500) clients whose server goes away for 1 s;
 *   3. attack: hostile clients against a server started with only `apiKeys` (in a
 *              child process) for 5-15 s: 10,000-copy frames of an answered
 *              60 KB id, floods of resends never read (output budget, 4008), half
 *              HTTP requests; a witness must lose nothing, the server must live
 *              and stay under ATTACK_RSS_MB;
 *   4. kill:   kill -9 of a FileStorageAdapter client at random moments, as many
 *              times as the budget allows (at least 8), then a restart.
 *   4. push:   SOAK_PUBLISHES (default 20,000) reliable server publishes to a client
 *              through the same resets and black-holes: 0 lost, 0 twice, in order, no gap.
 *
 * SOAK_SECONDS (default 240) bounds the whole run; SOAK_SEED replays one.
 * A live progress line goes to stderr, the table to stdout. Exit code 1 if
 * anything was lost, processed twice, reordered, failed or gave up.
 */
import { printTable } from '../src/cli/report';
import { runAttackScenario, type AttackScenarioResult } from './attack-scenario';
import { runChaosScenario, type ChaosScenarioResult } from '../spec/reliability/helpers/chaos-scenario';
import { runKillScenario, type KillScenarioResult } from '../spec/reliability/helpers/kill-scenario';
import {
  runInboundChaosScenario,
  type InboundChaosResult,
} from '../spec/reliability/helpers/inbound-chaos-scenario';
import {
  formatHistogram,
  runStormScenario,
  type StormScenarioResult,
} from '../spec/reliability/helpers/storm-scenario';

const budgetSeconds = positive('SOAK_SECONDS', 240);
const messages = positive('SOAK_MESSAGES', 20_000);
const clients = positive('SOAK_CLIENTS', 500);
const publishes = positive('SOAK_PUBLISHES', 20_000);
const seed = positive('SOAK_SEED', Date.now() % 1_000_000);
const startedAt = performance.now();
/** Peak RSS of the attacked server process, node and tsx included. */
const ATTACK_RSS_MB = 256;
const deadline = startedAt + budgetSeconds * 1000;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0 && Number.isFinite(value)))
    throw new TypeError(`${name} must be a positive number, got ${raw}`);
  return Math.floor(value);
}

function progress(line: string): void {
  const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`\r[${elapsed}s / ${budgetSeconds}s] ${line.padEnd(110)}`);
}

async function main(): Promise<number> {
  process.stderr.write(
    `soak: seed ${seed}, budget ${budgetSeconds} s, ${messages} messages, ${clients} clients\n`,
  );

  // Sending takes ~45% of the budget: the faults run for as long as messages flow.
  const rate = Math.max(50, Math.ceil(messages / (budgetSeconds * 0.45)));
  const chaos: ChaosScenarioResult = await runChaosScenario({
    messages,
    ratePerSecond: rate,
    seed,
    settleTimeoutMs: 60_000,
    onProgress: (p) =>
      progress(
        `chaos: sent ${p.issued}/${messages} settled ${p.settled} reconnects ${p.reconnects} resets ${p.resets} ` +
          `black-holes ${p.blackholes} link ${p.blackholed ? 'BLACK-HOLED' : 'up'} ${p.state}`,
      ),
  });

  const storm: StormScenarioResult = await runStormScenario({
    clients,
    downMs: 1000,
    bucketMs: 250,
    seed,
    onProgress: (p) => progress(`storm: ${p.phase} ${p.connected}/${p.clients}`),
  });

  const attack: AttackScenarioResult = await runAttackScenario({
    durationMs: Math.min(15, Math.max(5, budgetSeconds * 0.05)) * 1000,
    onProgress: progress,
  });

  // Reliable push through the same faults; ~15% of the budget.
  const pushRate = Math.max(200, Math.ceil(publishes / (budgetSeconds * 0.15)));
  const push: InboundChaosResult = await runInboundChaosScenario({
    publishes,
    ratePerSecond: pushRate,
    seed,
    settleTimeoutMs: 60_000,
    onProgress: (p) =>
      progress(
        `push: published ${p.published}/${publishes} received ${p.received} reconnects ${p.reconnects} resets ${p.resets}`,
      ),
  });

  // Keep ~20 s for the restart and the report; at least 8 kills whatever the budget.
  const kill: KillScenarioResult = await runKillScenario({
    kills: 1000,
    minKills: 8,
    perRun: 1500,
    maxKillDelayMs: 250,
    seed,
    deadline: deadline - 20_000,
    onProgress: (p) => progress(`kill -9: ${p.kills} kills, ${p.promised} sends resolved before a kill`),
  });
  process.stderr.write('\n');

  console.log(`\nReconnection times of ${storm.clients} clients after the server came back (seed ${seed}):`);
  console.log(formatHistogram(storm.histogram, storm.bucketMs));
  console.log();
  printTable(
    [
      'scenario',
      'sent',
      'acknowledged',
      'lost',
      'duplicated',
      'order violations',
      'reconnects',
      'p50 ms',
      'p99 ms',
      'notes',
    ],
    [
      [
        `chaos ${rate}/s`,
        chaos.sent,
        chaos.acknowledged,
        chaos.lost,
        chaos.processedTwice,
        chaos.orderViolations,
        chaos.reconnects,
        chaos.p50,
        chaos.p99,
        `${chaos.resets} resets, ${chaos.blackholes} black-holes, ${chaos.failed} failed, ${chaos.unsettled} unsettled, ${(chaos.durationMs / 1000).toFixed(0)} s`,
      ],
      [
        `storm ${storm.clients} clients`,
        storm.sent,
        storm.acknowledged,
        storm.lost,
        storm.processedTwice,
        storm.orderViolations,
        storm.reconnected,
        storm.p50,
        storm.p99,
        `${storm.gaveUp} gave up, max attempts ${storm.maxAttempts}/${storm.attemptLimit}, p50/p99 = reconnect time`,
      ],
      [
        `attack x ${attack.rounds}`,
        attack.witnessSent,
        attack.witnessAcked,
        attack.witnessSent - attack.witnessAcked,
        0,
        0,
        0,
        '-',
        '-',
        `${attack.copyAnswers}/${attack.copyFrames} answers to 10,000-copy frames, ${attack.budgetCloses} cut by the output budget, ` +
          `${attack.halfRequestsClosed}/${attack.halfRequests} half requests closed, peak RSS ${attack.peakRssMb} MiB, ` +
          `${attack.serverExited ? 'SERVER DIED' : 'server alive'}`,
      ],
      [
        `kill -9 x ${kill.kills}`,
        kill.sent,
        kill.acknowledged,
        kill.lost,
        kill.processedTwice,
        kill.orderViolations,
        kill.kills,
        '-',
        '-',
        `${kill.restoredAtRestart} restored at restart, ${kill.failed} failed, ${kill.crashes.length} crashes`,
      ],
      [
        `push ${pushRate}/s`,
        push.published,
        push.received,
        push.lost,
        push.twice,
        push.outOfOrder,
        push.reconnects,
        '-',
        '-',
        `reliable publish: ${push.gaps} gaps, ${push.resets} resets, ${push.blackholes} black-holes, ${push.duplicatesDropped} duplicates dropped by seq, ${(push.durationMs / 1000).toFixed(0)} s`,
      ],
    ],
  );
  console.log(
    `total ${((performance.now() - startedAt) / 1000).toFixed(0)} s, seed ${seed} (SOAK_SEED=${seed} reuses its random fault schedule)`,
  );

  const bad = [
    chaos.lost,
    chaos.processedTwice,
    chaos.orderViolations,
    chaos.failed,
    chaos.unsettled,
    chaos.sent - chaos.acknowledged,
    storm.lost,
    storm.processedTwice,
    storm.gaveUp,
    storm.clients - storm.reconnected,
    attack.witnessSent - attack.witnessAcked,
    attack.copyFrames - attack.copyAnswers,
    attack.rounds - attack.budgetCloses,
    attack.halfRequests - attack.halfRequestsClosed,
    attack.serverExited ? 1 : 0,
    attack.peakRssMb > ATTACK_RSS_MB ? 1 : 0,
    kill.lost,
    kill.processedTwice,
    kill.orderViolations,
    kill.failed,
    kill.crashes.length,
    push.lost,
    push.twice,
    push.outOfOrder,
    push.gaps,
    push.seqInOrder ? 0 : 1,
  ].some((n) => n !== 0);
  for (const crash of kill.crashes) console.error(crash);
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
