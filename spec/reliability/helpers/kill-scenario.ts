import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { FileStorageAdapter, ReliableWebSocketClient } from '../../../src/node';
import { freePort } from '../../../src/cli/free-port';
import { seededRandom } from '../../../src/cli/seeded-random';
import { API_KEY, ReliabilityRig } from '../../helpers/reliability-rig';
import { until } from '../../helpers/wait';
import { countDeliveries, type DeliveryCounts } from './counts';

const CHILD = resolve(__dirname, 'kill-child.ts');
const REPO_ROOT = resolve(__dirname, '../../..');

export interface KillScenarioOptions {
  /** Child processes killed with SIGKILL; even runs queue offline, odd runs flush while connected. */
  kills: number;
  /** Messages each child tries to send before it is killed. */
  perRun: number;
  /** Each kill lands a random 0..maxKillDelayMs after the child printed `ready`. */
  maxKillDelayMs: number;
  seed: number;
  /** Stop starting new runs after this `performance.now()` (the soak's time budget)... @default Infinity */
  deadline?: number;
  /** ...but not before this many kills. @default 0 */
  minKills?: number;
  onProgress?: (progress: { run: number; kills: number; promised: number }) => void;
}

export interface KillRun {
  mode: 'offline' | 'online';
  killAfterMs: number;
  sentLines: number;
  ackedLines: number;
  done: boolean;
}

export interface KillScenarioResult extends DeliveryCounts {
  seed: number;
  kills: number;
  runs: KillRun[];
  /** Accepted messages the restarted client found in the journal. */
  restoredAtRestart: number;
  /** messageFailed / messageExpired in any process. */
  failed: number;
  /** A child that died by itself (not by our SIGKILL), with its stderr. */
  crashes: string[];
}

/**
 * kill -9 of a Node client using FileStorageAdapter at random moments, then a
 * restart on the same directory: every message whose `send` had resolved must
 * be processed exactly once by the server (which lives in this process and
 * counts by message id).
 */
export async function runKillScenario(options: KillScenarioOptions): Promise<KillScenarioResult> {
  const random = seededRandom(options.seed);
  const rig = await ReliabilityRig.start({ seed: options.seed });
  const dir = mkdtempSync(join(tmpdir(), 'rxws-kill-'));
  const factsDir = mkdtempSync(join(tmpdir(), 'rxws-kill-facts-'));
  const deadUrl = `ws://127.0.0.1:${await freePort()}`;
  const promised = new Set<string>();
  const acked = new Set<string>();
  const failedIds = new Set<string>();
  const runs: KillRun[] = [];
  const crashes: string[] = [];
  try {
    const more = (run: number): boolean =>
      run < options.kills &&
      (run < (options.minKills ?? 0) || performance.now() < (options.deadline ?? Infinity));
    for (let run = 0; more(run); run++) {
      const mode = run % 2 === 0 ? 'offline' : 'online';
      const killAfterMs = Math.floor(random() * options.maxKillDelayMs);
      const outcome = await killOnce({
        dir,
        facts: join(factsDir, `run-${run}.log`),
        url: mode === 'online' ? rig.url : deadUrl,
        run,
        perRun: options.perRun,
        killAfterMs,
        onLine: (verb, id) => {
          if (verb === 'sent') promised.add(id);
          else if (verb === 'acked') acked.add(id);
          else if (verb === 'failed') failedIds.add(id);
        },
      });
      runs.push({ mode, killAfterMs, ...outcome.counts });
      if (outcome.crash) crashes.push(outcome.crash);
      options.onProgress?.({ run, kills: runs.length, promised: promised.size });
    }
    // The restart: same directory, this process.
    const storage = new FileStorageAdapter(dir);
    const client = new ReliableWebSocketClient(rig.url, {
      apiKey: API_KEY,
      storage,
      enablePersistence: true,
      queueSize: 100_000,
      messageTimeout: 3000,
    });
    client.addEventListener('messageAcknowledged', (e) => acked.add(e.detail.messageId));
    client.addEventListener('messageFailed', (e) => failedIds.add(e.detail.messageId));
    client.addEventListener('messageExpired', (e) => failedIds.add(e.detail.messageId));
    await client.connect();
    const restoredAtRestart = client.getStats().queueSize + client.getStats().messagesAcknowledged;
    try {
      await until(
        () => client.getStats().queueSize === 0,
        20_000,
        'the restarted client to drain its journal',
      );
    } finally {
      await client.close();
      await storage.close();
    }
    const sent = [...promised];
    const counts = countDeliveries({
      sent,
      acknowledged: acked,
      processed: rig.processed,
      firstProcessing: rig.firstProcessing,
    });
    return {
      ...counts,
      seed: options.seed,
      kills: runs.length,
      runs,
      restoredAtRestart,
      failed: failedIds.size,
      crashes,
    };
  } finally {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(factsDir, { recursive: true, force: true });
  }
}

interface KillOnce {
  dir: string;
  /** The file the child writes each fact to synchronously: what it knew when it died. */
  facts: string;
  url: string;
  run: number;
  perRun: number;
  killAfterMs: number;
  onLine: (verb: string, id: string) => void;
}

async function killOnce(
  o: KillOnce,
): Promise<{ counts: Omit<KillRun, 'mode' | 'killAfterMs'>; crash?: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, o.dir, o.url, String(o.run), String(o.perRun), o.facts],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, RXWS_API_KEY: API_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const counts = { sentLines: 0, ackedLines: 0, done: false };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': it comes after stdout is drained, so no line the child wrote is missed.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('close', (code, signal) => resolveExit({ code, signal })),
  );
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (): void => void child.kill('SIGKILL');
  // Bounded even if the child never gets ready.
  const safety = setTimeout(kill, 15_000);
  // stdout times the kill; the facts file is the record (stdout lines may die with the child).
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') killTimer = setTimeout(kill, o.killAfterMs);
  });
  const { code, signal } = await exited;
  clearTimeout(safety);
  if (killTimer) clearTimeout(killTimer);
  let factsText = '';
  try {
    factsText = readFileSync(o.facts, 'utf8');
  } catch {
    // The child died before it opened the file: it knew nothing yet.
  }
  // Only complete lines: a line is one write, but do not trust a torn tail.
  for (const line of factsText.slice(0, factsText.lastIndexOf('\n') + 1).split('\n')) {
    const [verb, id] = line.split(' ');
    if (verb === 'done') counts.done = true;
    else if (verb && id) {
      if (verb === 'sent') counts.sentLines++;
      if (verb === 'acked') counts.ackedLines++;
      o.onLine(verb, id);
    }
  }
  const crash =
    signal === 'SIGKILL'
      ? undefined
      : `run ${o.run} exited by itself (code ${code}): ${stderr.slice(0, 500)}`;
  return crash === undefined ? { counts } : { counts, crash };
}
