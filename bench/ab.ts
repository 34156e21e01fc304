/**
 * A/B of the library against an earlier commit, in alternating rounds:
 * `npx tsx bench/ab.ts <git-rev> [<git-rev B>]` (B defaults to the work tree; either may be a
 * directory holding a patched `src/` copy, for a change to try before it is committed;
 * env: the BENCH_* knobs of bench/harness.ts, BENCH_RUNS = rounds per side, default 7;
 * BENCH_AB=push measures reliable push instead, bench/push-bench.ts's memory-cursor row, PUSH_MESSAGES;
 * BENCH_AB=redis the acked bench against the server on a Redis backend; BENCH_AB=journal the acked bench
 * with the file journal, as the "rx-reliable-ws + file journal" row).
 *
 * The rev's `src/` is extracted to `.tmp/ab/<rev>/src` (node_modules resolve
 * from the work tree as for `src/`). Each round runs one fresh child process
 * per side, A (the rev) then B (the work tree) or B then A on alternate
 * rounds, each doing the rx-reliable-ws bench (client and server in the
 * child, warm-up, one measured run, one one-at-a-time run). Prints each
 * figure's median per side and B / A.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { median, readBenchEnv, type BenchResult } from './harness';

const ROOT = path.join(__dirname, '..');
const CHILD_TIMEOUT_MS = 180_000;

/** A rev's `src/` extracted under .tmp/ab, or, when `rev` is a directory holding a `src/` copy, that `src/` as it is. */
function extract(rev: string): string {
  if (existsSync(path.join(rev, 'src', 'node.ts'))) return path.resolve(rev, 'src');
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT }).toString().trim();
  const dir = path.join(ROOT, '.tmp', 'ab', sha);
  if (!existsSync(path.join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', sha, 'src'], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  return path.join(dir, 'src');
}

function runSide(srcDir: string): Promise<BenchResult> {
  return new Promise<BenchResult>((resolve, reject) => {
    const child = fork(path.join(__dirname, 'ab-side.ts'), [srcDir], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`side ${srcDir} did not finish within ${CHILD_TIMEOUT_MS} ms`));
    }, CHILD_TIMEOUT_MS);
    child.once('message', (message: { result?: BenchResult; error?: string }) => {
      clearTimeout(timer);
      // NaN (a figure the side does not measure) crosses IPC as null.
      if (message.result)
        resolve(
          Object.fromEntries(
            Object.entries(message.result).map(([k, v]) => [k, v === null ? NaN : v]),
          ) as unknown as BenchResult,
        );
      else reject(new Error(message.error));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`side ${srcDir} exited with ${code}`));
    });
  });
}

type Figure = Exclude<keyof BenchResult, 'name' | 'roundMessagesPerSec'>;
const FIGURES: Array<[Figure, string, number]> = [
  ['messagesPerSec', 'acked msg/s', 0],
  ['cpuUsPerMsg', 'CPU µs/msg', 2],
  ['gcPct', 'GC %', 1],
  ['bytesPerMsg', 'alloc B/msg', 0],
  ['promotedPerMsg', 'promoted B/msg', 0],
  ['p50Ms', 'RTT p50 ms', 2],
  ['p99Ms', 'RTT p99 ms', 2],
  ['serialP50Us', '1-by-1 p50 µs', 0],
  ['serialP99Us', '1-by-1 p99 µs', 0],
];

async function main(): Promise<void> {
  const rev = process.argv[2];
  const revB = process.argv[3];
  if (!rev) throw new TypeError('usage: npx tsx bench/ab.ts <git-rev> [<git-rev B>]');
  const env = readBenchEnv({ BENCH_RUNS: '7', ...process.env });
  const a = extract(rev);
  const b = revB ? extract(revB) : path.join(ROOT, 'src');
  const results: { A: BenchResult[]; B: BenchResult[] } = { A: [], B: [] };
  for (let round = 0; round < env.runs; round += 1) {
    const order: Array<['A' | 'B', string]> =
      round % 2
        ? [
            ['B', b],
            ['A', a],
          ]
        : [
            ['A', a],
            ['B', b],
          ];
    for (const [side, dir] of order) {
      const result = await runSide(dir);
      results[side].push(result);
      process.stderr.write(
        `[round ${round + 1}/${env.runs}] ${side}: ${Math.round(result.messagesPerSec)} msg/s, ` +
          `${result.cpuUsPerMsg.toFixed(2)} µs/msg, GC ${result.gcPct.toFixed(1)} %, ${Math.round(result.bytesPerMsg)} B/msg, ` +
          `1-by-1 ${Math.round(result.serialP50Us)}/${Math.round(result.serialP99Us)} µs\n`,
      );
    }
  }
  console.log(
    process.env['BENCH_AB'] === 'push'
      ? `A = ${rev}, B = ${revB ?? 'work tree'}; reliable push (received msg/s), medians of ${env.runs} alternating rounds`
      : `A = ${rev}, B = ${revB ?? 'work tree'}; ${env.messages} messages, window ${env.window}, medians of ${env.runs} alternating rounds`,
  );
  for (const [key, label, digits] of FIGURES) {
    const ma = median(results.A.map((r) => r[key]));
    const mb = median(results.B.map((r) => r[key]));
    console.log(
      `${label.padEnd(14)} A ${ma.toFixed(digits).padStart(10)}  B ${mb.toFixed(digits).padStart(10)}  B/A ${(mb / ma).toFixed(3)}`,
    );
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 1000).unref());
