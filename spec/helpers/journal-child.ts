/**
 * Child process for the kill -9 test of FileStorageAdapter:
 * `node --import tsx spec/helpers/journal-child.ts DIR`.
 *
 * Writes as fast as it can, 64 operations in flight, and prints one line per
 * operation once its promise resolved (i.e. once it is durable):
 *   `set u<i>`        u<i> = { i, pad } (i % 4 is 1 or 2)
 *   `ovr o<k> <v>`    o<k> = { v }       (k = v % 64; v % 4 === 0)
 *   `del u<j>`        u<j> removed       (issued at op j + 2)
 *   `compactions <n>` whenever the count grows
 * It never stops on its own (bounded by a 20 s safety limit): the parent kills it.
 */
import { FileStorageAdapter } from '../../src/storage/file-storage-adapter';

const dir = process.argv[2];
if (!dir) throw new Error('usage: journal-child.ts DIR');

const storage = new FileStorageAdapter(dir, { compactMinBytes: 64 * 1024 });
const deadline = Date.now() + 20_000;
let next = 0;
let compactions = 0;

function valueOf(i: number): { i: number; pad: string } {
  return { i, pad: 'x'.repeat(i % 200) };
}

function issue(): void {
  if (Date.now() > deadline) process.exit(2);
  const i = next++;
  let op: Promise<void>;
  let line: string;
  if (i % 4 === 0) {
    op = storage.setItem(`o${i % 64}`, { v: i });
    line = `ovr o${i % 64} ${i}`;
  } else if (i % 4 === 3) {
    op = storage.removeItem(`u${i - 2}`);
    line = `del u${i - 2}`;
  } else {
    op = storage.setItem(`u${i}`, valueOf(i));
    line = `set u${i}`;
  }
  op.then(
    () => {
      process.stdout.write(`${line}\n`);
      const c = storage.stats.compactions;
      if (c !== compactions) {
        compactions = c;
        process.stdout.write(`compactions ${c}\n`);
      }
      issue();
    },
    (error: unknown) => {
      process.stderr.write(`write failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
}

storage.ready.then(
  () => {
    process.stdout.write('ready\n');
    for (let k = 0; k < 64; k++) issue();
  },
  (error: unknown) => {
    process.stderr.write(`open failed: ${String(error)}\n`);
    process.exit(1);
  },
);
