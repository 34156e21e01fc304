import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StorageError } from '../../src/protocol/errors';
import { MessageQueue } from '../../src/queue/message-queue';
import { FileStorageAdapter } from '../../src/storage/file-storage-adapter';
import { encodeRecord, JOURNAL_HEADER, OP_SET } from '../../src/storage/journal-codec';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxws-journal-'));
  dirs.push(dir);
  return dir;
}
const journal = (dir: string): string => path.join(dir, 'journal.log');

const open$: FileStorageAdapter[] = [];
function adapter(
  dir: string,
  options?: ConstructorParameters<typeof FileStorageAdapter>[1],
): FileStorageAdapter {
  const a = new FileStorageAdapter(dir, options);
  open$.push(a);
  return a;
}

afterEach(async () => {
  await Promise.all(open$.splice(0).map((a) => a.close().catch(() => undefined)));
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('FileStorageAdapter', () => {
  it('round-trips values, lists keys, removes', async () => {
    const storage = adapter(tempDir());
    expect(storage.durable).toBe(true);
    expect(await storage.getItem('missing')).toBeNull();
    await storage.setItem('a', { x: 1, s: 'é✓' });
    await storage.setItem('b', [1, 'two', null]);
    await storage.setItem('a', { x: 2 });
    expect(await storage.getItem('a')).toEqual({ x: 2 });
    expect(await storage.getItem('b')).toEqual([1, 'two', null]);
    expect((await storage.keys()).sort()).toEqual(['a', 'b']);
    await storage.removeItem('a');
    await storage.removeItem('never');
    expect(await storage.keys()).toEqual(['b']);
  });

  it('reads back records of every size around the checksum cutover, multi-byte keys and values included', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    const value = (n: number): string => 'é✓x'.repeat(n).slice(0, n);
    await Promise.all(Array.from({ length: 200 }, (_, n) => first.setItem(`k${n}-ü`, value(n))));
    await Promise.all(
      Array.from({ length: 200 }, (_, n) => (n % 3 ? undefined : first.removeItem(`k${n}-ü`))),
    );
    await first.close();
    const second = adapter(dir);
    await second.ready;
    expect(second.recovery).toEqual({ records: 267, truncatedBytes: 0 });
    expect(second.damage.records).toBe(0);
    for (let n = 0; n < 200; n++) expect(await second.getItem(`k${n}-ü`)).toBe(n % 3 ? value(n) : null);
  });

  it('reads its own writes before they are durable, and returns copies', async () => {
    const storage = adapter(tempDir());
    await storage.ready;
    const write = storage.setItem('k', { n: 1 });
    expect(await storage.getItem('k')).toEqual({ n: 1 });
    const remove = storage.removeItem('k');
    expect(await storage.keys()).toEqual([]);
    await Promise.all([write, remove]);
    await storage.setItem('k', { n: 1 });
    const read = await storage.getItem<{ n: number }>('k');
    read!.n = 9;
    expect(await storage.getItem('k')).toEqual({ n: 1 });
  });

  it('recovers everything after close and reopen', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    for (let i = 0; i < 100; i++) await first.setItem(`k${i}`, { i });
    for (let i = 0; i < 100; i += 2) await first.removeItem(`k${i}`);
    await first.close();
    const second = adapter(dir);
    await second.ready;
    expect(second.recovery).toEqual({ records: 150, truncatedBytes: 0 });
    expect((await second.keys()).length).toBe(50);
    expect(await second.getItem('k1')).toEqual({ i: 1 });
    expect(await second.getItem('k2')).toBeNull();
  });

  it('truncates a torn tail and keeps writing after it', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    await first.setItem('a', 1);
    await first.setItem('b', 2);
    await first.close();
    const goodSize = statSync(journal(dir)).size;
    const torn = encodeRecord(OP_SET, 'c', '3').subarray(0, 11);
    appendFileSync(journal(dir), torn);

    const second = adapter(dir);
    await second.ready;
    expect(second.recovery).toEqual({ records: 2, truncatedBytes: 11 });
    expect(statSync(journal(dir)).size).toBe(goodSize);
    expect((await second.keys()).sort()).toEqual(['a', 'b']);
    await second.setItem('d', 4);
    await second.close();

    const third = adapter(dir);
    expect(await third.getItem('d')).toBe(4);
    expect(third.recovery).toEqual({ records: 3, truncatedBytes: 0 });
  });

  it('drops only a record whose checksum does not match, keeps what follows, and sets the damaged file aside', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    await first.setItem('a', 'first');
    await first.setItem('b', 'second');
    await first.setItem('c', 'third');
    await first.close();
    const bytes = readFileSync(journal(dir));
    const recordB = JOURNAL_HEADER.length + encodeRecord(OP_SET, 'a', '"first"').length;
    bytes[recordB + 8 + 5 + 1 + 2] ^= 0xff; // a byte of b's value
    writeFileSync(journal(dir), bytes);

    const second = adapter(dir);
    await second.ready;
    expect(second.recovery).toEqual({ records: 2, truncatedBytes: 0 });
    expect((await second.keys()).sort()).toEqual(['a', 'c']);
    const recordBSize = encodeRecord(OP_SET, 'b', '"second"').length;
    expect(second.damage).toMatchObject({ records: 1, bytes: recordBSize });
    expect(second.recoveryError).toMatchObject({ reason: 'CORRUPT' });
    expect(second.recoveryError!.message).toMatch(/1 record\(s\) \(\d+ bytes\) could not be read/);
    // The damaged file is kept as it was; the journal is a clean one of what was read.
    expect(readFileSync(second.damage.movedTo!)).toEqual(bytes);
    await second.setItem('d', 4);
    await second.close();
    const third = adapter(dir);
    expect((await third.keys()).sort()).toEqual(['a', 'c', 'd']);
    expect(third.recoveryError).toBeUndefined();
  });

  it('treats a whole record with a bad checksum at the very end as damage, not as a torn write', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    await first.setItem('a', 1);
    await first.setItem('b', 2);
    await first.close();
    const bytes = readFileSync(journal(dir));
    bytes[bytes.length - 1] ^= 0x01;
    writeFileSync(journal(dir), bytes);
    const second = adapter(dir);
    await second.ready;
    expect(await second.keys()).toEqual(['a']);
    expect(second.damage.records).toBe(1);
    expect(second.recoveryError).toBeDefined();
  });

  it('refuses a file that is not a journal', async () => {
    const dir = tempDir();
    writeFileSync(journal(dir), 'hello world, not a journal');
    const storage = adapter(dir);
    await expect(storage.ready).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(storage.getItem('x')).rejects.toBeInstanceOf(StorageError);
    expect(readFileSync(journal(dir), 'utf8')).toBe('hello world, not a journal');
  });

  it('compacts when dead records dominate, and the data survives', async () => {
    const dir = tempDir();
    const storage = adapter(dir, { compactMinBytes: 4096, compactRatio: 0.5 });
    for (let round = 0; round < 50; round++) {
      await Promise.all(Array.from({ length: 20 }, (_, k) => storage.setItem(`k${k}`, { round, k })));
    }
    await storage.removeItem('k0');
    await storage.setItem('extra', 'x');
    expect(storage.stats.compactions).toBeGreaterThan(0);
    const size = statSync(journal(dir)).size;
    expect(size).toBeLessThan(4096 * 2);
    expect(existsSync(path.join(dir, 'journal.tmp'))).toBe(false);
    await storage.close();

    const reopened = adapter(dir);
    expect((await reopened.keys()).length).toBe(20);
    expect(await reopened.getItem('k0')).toBeNull();
    expect(await reopened.getItem('k7')).toEqual({ round: 49, k: 7 });
    expect(await reopened.getItem('extra')).toBe('x');
  });

  it('ignores an unfinished compaction (a leftover temp file)', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    await first.setItem('a', 1);
    await first.close();
    writeFileSync(
      path.join(dir, 'journal.tmp'),
      Buffer.concat([JOURNAL_HEADER, encodeRecord(OP_SET, 'z', '1')]),
    );
    const second = adapter(dir);
    expect(await second.keys()).toEqual(['a']);
    expect(existsSync(path.join(dir, 'journal.tmp'))).toBe(false);
  });

  it('group commit: writes issued during an fsync share the next one, each resolving only after it', async () => {
    const storage = adapter(tempDir());
    await storage.ready;
    // Hold every fsync until the test lets it go.
    const probe = await open(path.join(tempDir(), 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const realDatasync = proto.datasync;
    const held: (() => void)[] = [];
    const spy = jest.spyOn(proto, 'datasync').mockImplementation(function (this: unknown) {
      return new Promise<void>((resolve) => held.push(() => resolve(realDatasync.call(this))));
    });
    try {
      const resolved: string[] = [];
      const first = storage.setItem('first', 0).then(() => resolved.push('first'));
      await waitFor(() => held.length === 1);
      const rest = Array.from({ length: 100 }, (_, i) =>
        storage.setItem(`k${i}`, i).then(() => resolved.push(`k${i}`)),
      );
      await flushMicrotasks();
      expect(resolved).toEqual([]);
      held.shift()!();
      await first;
      expect(resolved).toEqual(['first']);
      await waitFor(() => held.length === 1);
      expect(resolved).toEqual(['first']);
      held.shift()!();
      await Promise.all(rest);
      expect(spy).toHaveBeenCalledTimes(2);
      expect(storage.stats).toMatchObject({ writes: 101, fsyncs: 2, batches: 2 });
    } finally {
      spy.mockRestore();
    }
  });

  it('many concurrent writes: far fewer fsyncs than writes, and the last write per key wins', async () => {
    const dir = tempDir();
    const storage = adapter(dir);
    await storage.ready;
    const model = new Map<string, number>();
    const ops: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) {
      const key = `k${(i * 7919) % 300}`;
      if (i % 5 === 4) {
        ops.push(storage.removeItem(key));
        model.delete(key);
      } else {
        ops.push(storage.setItem(key, i));
        model.set(key, i);
      }
    }
    await Promise.all(ops);
    const { writes, fsyncs } = storage.stats;
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(writes / 10);
    const check = async (s: FileStorageAdapter): Promise<void> => {
      expect((await s.keys()).sort()).toEqual([...model.keys()].sort());
      for (const [key, value] of model) expect(await s.getItem(key)).toBe(value);
    };
    await check(storage);
    await storage.close();
    await check(adapter(dir));
  });

  it('with fsync off never fsyncs', async () => {
    const storage = adapter(tempDir(), { fsync: false });
    await Promise.all([storage.setItem('a', 1), storage.setItem('b', 2)]);
    expect(storage.stats.fsyncs).toBe(0);
    expect(storage.stats.batches).toBe(1);
  });

  it('close waits for queued writes; later calls reject; the dir can then be reopened', async () => {
    const dir = tempDir();
    const storage = adapter(dir);
    const writes = Array.from({ length: 50 }, (_, i) => storage.setItem(`k${i}`, i));
    await storage.close();
    await Promise.all(writes);
    await expect(storage.setItem('late', 1)).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    await expect(storage.getItem('k1')).rejects.toBeInstanceOf(StorageError);
    expect((await adapter(dir).keys()).length).toBe(50);
  });

  it('refuses a second adapter on the same dir in one process', async () => {
    const dir = tempDir();
    const first = adapter(dir);
    await first.ready;
    const second = adapter(dir);
    await expect(second.ready).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    await second.close();
    await first.setItem('still', 'works');
    expect(await first.getItem('still')).toBe('works');
  });

  it.each([
    [{ compactRatio: 0 }, 'compactRatio'],
    [{ compactRatio: 1 }, 'compactRatio'],
    [{ compactMinBytes: -1 }, 'compactMinBytes'],
    [{ fsync: 'yes' }, 'fsync'],
  ])('throws a TypeError naming the option for %p', (options, name) => {
    expect(() => new FileStorageAdapter(tempDir(), options as any)).toThrow(name);
  });

  it('carries a MessageQueue across a restart', async () => {
    const dir = tempDir();
    const storage = adapter(dir);
    const queue = new MessageQueue({ storageKey: 'q' }, storage);
    await queue.enqueue({ type: 'A' });
    await queue.enqueue({ type: 'B' }, { priority: 3 });
    await queue.setMeta('clientId', 'c-1');
    queue.lease();
    await queue.close();
    await storage.close();
    const restored = new MessageQueue({ storageKey: 'q' }, adapter(dir));
    await restored.ready;
    expect([restored.dequeue()?.type, restored.dequeue()?.type]).toEqual(['B', 'A']);
    expect(await restored.getMeta('clientId')).toBe('c-1');
  });

  describe('kill -9', () => {
    const child = path.join(__dirname, '..', 'helpers', 'journal-child.ts');
    const valueOf = (i: number) => ({ i, pad: 'x'.repeat(i % 200) });
    const killDelays = [50, 80, 110, 140, 170, 200, 230, 260, 300, 120];

    it('every write acknowledged before a SIGKILL is there after reopening', async () => {
      let totalAcked = 0;
      let compacted = false;
      for (const delay of killDelays) {
        const dir = tempDir();
        const lines = await runAndKill(child, dir, delay);
        const acked = lines.filter((l) => l !== 'ready' && !l.startsWith('compactions'));
        compacted ||= lines.some((l) => l.startsWith('compactions'));
        expect(acked.length).toBeGreaterThan(0);
        totalAcked += acked.length;

        const storage = adapter(dir);
        await storage.ready;
        const deleted = new Set(acked.filter((l) => l.startsWith('del ')).map((l) => l.slice(4)));
        for (const line of acked) {
          const [kind, key, v] = line.split(' ');
          const stored = await storage.getItem<Record<string, unknown>>(key);
          const i = Number(key.slice(1));
          if (kind === 'del') {
            expect(stored).toBeNull();
          } else if (kind === 'set' && !deleted.has(key)) {
            // A delete of u<i> (i % 4 === 1) may have become durable without being printed.
            if (stored !== null || i % 4 === 2) expect(stored).toEqual(valueOf(i));
          } else if (kind === 'ovr') {
            expect(stored).not.toBeNull();
            expect(stored!.v as number).toBeGreaterThanOrEqual(Number(v));
            expect((stored!.v as number) % 64).toBe(i);
          }
        }
        for (const key of await storage.keys()) {
          const stored = await storage.getItem<Record<string, unknown>>(key);
          if (key.startsWith('u')) expect(stored).toEqual(valueOf(Number(key.slice(1))));
        }
        await storage.close();
      }
      expect(totalAcked).toBeGreaterThan(1000);
      expect(compacted).toBe(true);
    }, 30_000);
  });
});

/** Starts the child, waits for `ready`, SIGKILLs it `delayMs` later; resolves with the complete lines it printed. */
function runAndKill(child: string, dir: string, delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (timer === undefined && out.startsWith('ready\n'))
        timer = setTimeout(() => proc.kill('SIGKILL'), delayMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}/${signal}: ${err}`));
      // Only whole lines count: the kill may cut the last one.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1);
      resolve(complete.split('\n').filter((l) => l !== ''));
    });
  });
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Polls a condition across I/O turns, bounded in time (a loaded CI machine is slow to reach the fsync hook). */
async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}
