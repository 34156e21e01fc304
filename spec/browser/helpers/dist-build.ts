import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
const DIST_ENTRY = join(ROOT, 'dist', 'index.mjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(DIST_ENTRY).mtimeMs >= newestMtime(join(ROOT, 'src'));
  } catch {
    return false;
  }
}

/**
 * The browser specs test the real ESM build: (re)build dist/ when it is
 * missing or older than src/. Jest runs spec files in parallel workers, so a
 * lock directory keeps two of them from running rollup at once.
 */
export function ensureDist(): void {
  if (isFresh()) return;
  const lock = join(tmpdir(), `rx-reliable-ws-build-${Buffer.from(ROOT).toString('hex').slice(-16)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A worker killed mid-build leaves its lock behind; a build never takes minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 180_000) rmdirSync(lock, { recursive: false });
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for another worker's build (lock ${lock}).`);
      // Another worker builds; wait for it without burning a core.
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 250)']);
    }
  }
  try {
    if (!isFresh()) {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), '-c', 'rollup.config.mjs'],
        {
          cwd: ROOT,
          stdio: 'pipe',
          timeout: 120_000,
        },
      );
    }
  } finally {
    rmdirSync(lock);
  }
}
