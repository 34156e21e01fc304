import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { StorageError } from '../protocol/errors';
import { JOURNAL_HEADER, recordSize, recoverJournal, type JournalRecovery } from './journal-codec';
import { JOURNAL_FILE, replaceJournal, syncDir, TEMP_FILE, writeAll } from './journal-file';
import { RecordBuffer } from './record-buffer';
import type { StorageAdapter } from './storage-adapter';

/** Options of {@link FileStorageAdapter}. */
export interface FileStorageAdapterOptions {
  /**
   * Compact once this fraction of the journal is dead records (overwritten or removed).
   * @default 0.5
   */
  compactRatio?: number;
  /**
   * Never compact a journal smaller than this many bytes.
   * @default 4194304
   */
  compactMinBytes?: number;
  /**
   * fsync each batch (and the directory on compaction). Off survives a process
   * crash (`kill -9`) but not a power loss.
   * @default true
   */
  fsync?: boolean;
}

/** Counters for tests and benchmarks. */
export interface FileStorageStats {
  /** setItem/removeItem calls that reached the journal. */
  writes: number;
  /** Batches appended (each one write + one fsync): group commit makes this far below `writes`. */
  batches: number;
  fsyncs: number;
  compactions: number;
}

/** What a lossy recovery could not read back (all zero after a clean open or a torn tail). */
export interface StorageDamage {
  /** Damaged records skipped (at least this many writes were lost). */
  records: number;
  /** Bytes of those records. */
  bytes: number;
  /** Where the damaged journal was moved, untouched, for inspection; `undefined` if nothing was lost. */
  movedTo: string | undefined;
}

/**
 * The writes of one batch, one record each, in order (`jsons[i]` undefined: a
 * removal of `keys[i]`, for `i < count`), and one promise shared by all of
 * them: no object or promise per write. The arrays are reused by a later
 * batch. `latest` (the last value per key) is built only once something reads
 * the batch, which the hot path never does.
 */
interface PendingBatch {
  keys: string[];
  jsons: Array<string | undefined>;
  count: number;
  latest: Map<string, string | undefined> | undefined;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: StorageError) => void;
}

/** A settled batch's arrays are handed to the next one unless it was larger than this. */
const MAX_RECYCLED_WRITES = 16 * 1024;

function newBatch(spare: PendingBatch | undefined): PendingBatch {
  let resolve!: () => void;
  let reject!: (error: StorageError) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const keys = spare ? spare.keys : [];
  const jsons = spare ? spare.jsons : [];
  return { keys, jsons, count: 0, latest: undefined, done, resolve, reject };
}

function latestOf(batch: PendingBatch): Map<string, string | undefined> {
  if (batch.latest === undefined) {
    const { keys, jsons } = batch;
    batch.latest = new Map();
    for (let i = 0; i < batch.count; i++) batch.latest.set(keys[i]!, jsons[i]);
  }
  return batch.latest;
}

const NO_RECORDS: ReadonlyMap<string, { json: string }> = new Map();

const openDirs = new Set<string>();

/**
 * A durable key-value store in one directory (Node only; `durable: true`): an
 * append-only journal of checksummed records replayed into a `Map` on open.
 *
 * - **Group commit.** Writes issued while a batch is being written and fsynced
 *   form the next batch: one write + one fsync for all of them. Each
 *   `setItem`/`removeItem` resolves only after the fsync covering it.
 * - **Recovery.** A torn tail (crash mid-write: never acknowledged) is cut off
 *   on open. Damage elsewhere (a flipped byte) costs only the damaged records:
 *   the replay resynchronises on the next valid record, the damaged file is
 *   moved aside untouched, a clean journal of what was read is written in its
 *   place, and {@link recoveryError} / {@link damage} say what was lost.
 * - **Compaction.** When dead records dominate, the live data is written to a
 *   temporary file, fsynced and renamed over the journal: a crash at any step
 *   leaves either the old or the new journal, both complete.
 *
 * One adapter per directory at a time.
 *
 * ## Example
 * ```ts
 * const storage = new FileStorageAdapter('./data/queue');
 * const queue = new MessageQueue(config, storage);
 * // ...
 * await storage.close();
 * ```
 */
export class FileStorageAdapter implements StorageAdapter {
  readonly durable = true;
  /** Resolves once the journal is replayed; rejects with a `StorageError`. */
  readonly ready: Promise<void>;
  /** What the last open found: records replayed and bytes of torn tail cut off. */
  readonly recovery = { records: 0, truncatedBytes: 0 };
  /** What the last open could not read back; all zero unless the journal was damaged. */
  readonly damage: StorageDamage = { records: 0, bytes: 0, movedTo: undefined };
  /**
   * Set when the last open lost data (a damaged journal): a `StorageError`
   * (`CORRUPT`) with the counts, which the client reports as an `error` event.
   */
  recoveryError: StorageError | undefined;

  private readonly dir: string;
  private readonly compactRatio: number;
  private readonly compactMinBytes: number;
  private readonly fsync: boolean;
  private readonly committed = new Map<string, { json: string; size: number }>();
  /** Writes waiting for the next commit; reads see them (and `committing`'s) at once. */
  private batch: PendingBatch | undefined;
  /** The batch being written and fsynced. */
  private committing: PendingBatch | undefined;
  /** A settled batch whose arrays the next batch reuses. */
  private spare: PendingBatch | undefined;
  /** Where each batch is encoded, reused from batch to batch. */
  private readonly records = new RecordBuffer();
  private loop: Promise<void> | undefined;
  private fh: FileHandle | undefined;
  private fileSize = 0;
  private liveBytes = 0;
  private compactAfter = 0;
  private failure: StorageError | undefined;
  private closed = false;
  private ownsDir = false;
  private readonly counters: FileStorageStats = { writes: 0, batches: 0, fsyncs: 0, compactions: 0 };

  constructor(dir: string, options: FileStorageAdapterOptions = {}) {
    if (typeof dir !== 'string' || dir === '') {
      throw new TypeError(`FileStorageAdapter: dir must be a non-empty string; got ${String(dir)}.`);
    }
    const { compactRatio = 0.5, compactMinBytes = 4 * 1024 * 1024, fsync = true } = options;
    if (!(compactRatio > 0 && compactRatio < 1)) {
      throw new TypeError(
        `FileStorageAdapterOptions.compactRatio must be between 0 and 1 (exclusive); got ${String(compactRatio)}.`,
      );
    }
    if (!Number.isFinite(compactMinBytes) || compactMinBytes < 0) {
      throw new TypeError(
        `FileStorageAdapterOptions.compactMinBytes must be a non-negative number; got ${String(compactMinBytes)}.`,
      );
    }
    if (typeof fsync !== 'boolean') {
      throw new TypeError(`FileStorageAdapterOptions.fsync must be a boolean; got ${String(fsync)}.`);
    }
    this.dir = path.resolve(dir);
    this.compactRatio = compactRatio;
    this.compactMinBytes = compactMinBytes;
    this.fsync = fsync;
    this.ready = this.openJournal();
    this.ready.catch(() => undefined); // reported by every call; not an unhandled rejection
  }

  get stats(): Readonly<FileStorageStats> {
    return { ...this.counters };
  }

  async getItem<T = unknown>(key: string): Promise<T | null> {
    await this.usable();
    const pending = this.pendingFor(key);
    const json = pending ? latestOf(pending).get(key) : this.committed.get(key)?.json;
    return json === undefined ? null : (JSON.parse(json) as T);
  }

  setItem<T = unknown>(key: string, value: T): Promise<void> {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      return Promise.reject(
        new StorageError(
          'IO',
          `Cannot store ${key}: the value is not JSON-serializable (${String(error)}).`,
          { cause: error },
        ),
      );
    }
    return this.append(key, json ?? 'null');
  }

  removeItem(key: string): Promise<void> {
    if (!this.committed.has(key) && !this.pendingFor(key) && this.fh !== undefined) return this.usable();
    return this.append(key, undefined);
  }

  async keys(): Promise<string[]> {
    await this.usable();
    const keys = new Set(this.committed.keys());
    const overlay = (json: string | undefined, key: string): unknown =>
      json === undefined ? keys.delete(key) : keys.add(key);
    if (this.committing) latestOf(this.committing).forEach(overlay);
    if (this.batch) latestOf(this.batch).forEach(overlay); // newer
    return [...keys];
  }

  private takeBatch(): PendingBatch {
    const batch = newBatch(this.spare);
    this.spare = undefined;
    return batch;
  }

  /** Waits for queued writes, then releases the file. Further calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    while (this.loop) await this.loop;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    this.releaseDir();
  }

  private closedError(): StorageError {
    return new StorageError(
      'UNAVAILABLE',
      `The FileStorageAdapter for ${this.dir} is closed; open a new one.`,
    );
  }

  private releaseDir(): void {
    if (this.ownsDir) openDirs.delete(this.dir);
    this.ownsDir = false;
  }

  private async usable(): Promise<void> {
    if (this.closed) throw this.closedError();
    await this.ready;
    if (this.failure) throw this.failure;
  }

  /** The newest not-yet-durable batch that writes `key`, if any. */
  private pendingFor(key: string): PendingBatch | undefined {
    if (this.batch && latestOf(this.batch).has(key)) return this.batch;
    if (this.committing && latestOf(this.committing).has(key)) return this.committing;
    return undefined;
  }

  private append(key: string, json: string | undefined): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.failure) return Promise.reject(this.failure);
    const batch = (this.batch ??= this.takeBatch());
    batch.keys[batch.count] = key;
    batch.jsons[batch.count++] = json;
    batch.latest?.set(key, json);
    this.counters.writes++;
    this.loop ??= this.flushLoop();
    return batch.done;
  }

  private async flushLoop(): Promise<void> {
    try {
      // Also a yield: every write issued in the same tick joins the first batch.
      await this.ready.catch(() => undefined);
      while (this.batch) {
        const batch = this.batch;
        this.batch = undefined;
        this.committing = batch;
        await this.commit(batch);
        if (this.shouldCompact()) await this.compact();
      }
    } finally {
      this.loop = undefined;
    }
  }

  private async commit(batch: PendingBatch): Promise<void> {
    const failed =
      this.failure ??
      (this.fh ? undefined : new StorageError('UNAVAILABLE', `The journal in ${this.dir} is not open.`));
    if (failed) return this.settle(batch, failed);
    const fh = this.fh as FileHandle;
    const { keys, jsons, count } = batch;
    const { records } = this;
    records.reset();
    for (let i = 0; i < count; i++) records.add(keys[i]!, jsons[i]);
    const buf = records.bytes();
    try {
      await writeAll(fh, buf, this.fileSize);
    } catch (error) {
      // Cut the partial batch off so the next one does not land after garbage.
      await fh.truncate(this.fileSize).catch((e: unknown) => this.fail(e, 'truncate a failed write'));
      return this.settle(
        batch,
        new StorageError('IO', `Writing the journal in ${this.dir} failed: ${String(error)}`, {
          cause: error,
        }),
      );
    }
    if (this.fsync) {
      try {
        await fh.datasync();
        this.counters.fsyncs++;
      } catch (error) {
        // After a failed fsync the page cache cannot be trusted: stop accepting writes.
        return this.settle(batch, this.fail(error, 'fsync the journal'));
      }
    }
    this.counters.batches++;
    this.fileSize += buf.length;
    for (let i = 0, at = 0; i < count; i++) {
      const size = recordSize(buf, at);
      this.apply(keys[i]!, jsons[i], size);
      at += size;
    }
    this.settle(batch);
  }

  /** The batch is no longer pending (reads fall back to `committed`), then its writers learn the outcome. */
  private settle(batch: PendingBatch, error?: StorageError): void {
    if (this.committing === batch) this.committing = undefined;
    this.records.reset(); // written: a buffer grown by a burst is let go now, not at the next commit
    if (error) batch.reject(error);
    else batch.resolve();
    const { keys, jsons, count } = batch;
    if (count > MAX_RECYCLED_WRITES) return;
    // Let go of the strings, keep the arrays' room.
    keys.fill('', 0, count);
    jsons.fill(undefined, 0, count);
    batch.latest = undefined;
    this.spare = batch;
  }

  private apply(key: string, json: string | undefined, size: number): void {
    const previous = this.committed.get(key);
    if (previous) this.liveBytes -= previous.size;
    if (json === undefined) {
      this.committed.delete(key);
    } else {
      this.committed.set(key, { json, size });
      this.liveBytes += size;
    }
  }

  private fail(error: unknown, action: string): StorageError {
    this.failure ??= new StorageError(
      'IO',
      `Could not ${action} in ${this.dir}: ${String(error)}. Reopen the adapter.`,
      { cause: error },
    );
    return this.failure;
  }

  private shouldCompact(): boolean {
    const body = this.fileSize - JOURNAL_HEADER.length;
    return (
      !this.failure &&
      this.fileSize >= this.compactMinBytes &&
      this.fileSize >= this.compactAfter &&
      (body - this.liveBytes) / body >= this.compactRatio
    );
  }

  private async compact(): Promise<void> {
    let replaced: { fh: FileHandle; size: number };
    try {
      // The flush loop waits for this, so `committed` cannot change underneath.
      replaced = await replaceJournal(this.dir, this.committed, this.fsync);
    } catch {
      // The old journal is still whole; retry only after it has grown a good deal.
      this.compactAfter = this.fileSize * 2;
      return;
    }
    // Past the rename the new journal is the journal: switch to it before anything else can fail.
    const old = this.fh;
    this.fh = replaced.fh;
    this.fileSize = replaced.size;
    this.liveBytes = replaced.size - JOURNAL_HEADER.length;
    this.counters.compactions++;
    await old?.close().catch(() => undefined);
    if (this.fsync) {
      await syncDir(this.dir).catch((e: unknown) => this.fail(e, 'fsync the directory after compaction'));
    }
  }

  /**
   * A damaged journal: kept aside as it is (never rewritten in place), and a
   * new one holding every record that was read takes its place. The copy is
   * durable before the journal is replaced (by rename), so a crash between
   * the two leaves the damaged journal where it was, to be recovered again.
   */
  private async setAside(file: string, found: JournalRecovery): Promise<void> {
    const tailDamaged = found.tailIsTorn ? 0 : 1;
    const movedTo = path.join(this.dir, `journal.damaged-${Date.now()}.log`);
    await copyFile(file, movedTo, constants.COPYFILE_EXCL);
    if (this.fsync) {
      const copy = await open(movedTo, 'r');
      await copy.sync().finally(() => copy.close());
    }
    const replaced = await replaceJournal(this.dir, this.committed, this.fsync);
    this.fh = replaced.fh;
    this.fileSize = replaced.size;
    this.liveBytes = replaced.size - JOURNAL_HEADER.length;
    if (this.fsync) await syncDir(this.dir);
    const records = found.damagedRecords + tailDamaged;
    const bytes = found.damagedBytes + (tailDamaged ? found.tailBytes : 0);
    Object.assign(this.damage, { records, bytes, movedTo });
    this.recoveryError = new StorageError(
      'CORRUPT',
      `The journal in ${this.dir} was damaged: ${records} record(s) (${bytes} bytes) could not be read and are lost; ` +
        `${this.recovery.records} record(s) were recovered. The damaged file was kept as ${movedTo}.`,
    );
  }

  private async openJournal(): Promise<void> {
    if (openDirs.has(this.dir)) {
      throw new StorageError(
        'UNAVAILABLE',
        `${this.dir} is already open in this process; share one FileStorageAdapter.`,
      );
    }
    openDirs.add(this.dir);
    this.ownsDir = true;
    try {
      await mkdir(this.dir, { recursive: true });
      await rm(path.join(this.dir, TEMP_FILE), { force: true }); // an unfinished compaction
      const file = path.join(this.dir, JOURNAL_FILE);
      let buf: Buffer;
      try {
        buf = await readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // A new journal appears whole or not at all, like a compacted one.
        this.fh = (await replaceJournal(this.dir, NO_RECORDS, this.fsync)).fh;
        if (this.fsync) await syncDir(this.dir);
        buf = JOURNAL_HEADER;
      }
      if (
        buf.length < JOURNAL_HEADER.length ||
        !buf.subarray(0, JOURNAL_HEADER.length).equals(JOURNAL_HEADER)
      ) {
        throw new StorageError(
          'CORRUPT',
          `${file} is not a rx-reliable-ws journal (bad header); move it away or use another dir.`,
        );
      }
      const found = recoverJournal(buf, JOURNAL_HEADER.length, (r) => {
        this.apply(r.key, r.json, r.size);
        this.recovery.records++;
      });
      if (found.damagedRecords > 0 || !found.tailIsTorn) {
        await this.setAside(file, found);
        return;
      }
      const valid = found.validEnd;
      this.fh ??= await open(file, 'r+');
      if (valid < buf.length) {
        await this.fh.truncate(valid);
        if (this.fsync) await this.fh.datasync();
        this.recovery.truncatedBytes = buf.length - valid;
      }
      this.fileSize = valid;
    } catch (error) {
      this.releaseDir();
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
      throw error instanceof StorageError
        ? error
        : new StorageError('UNAVAILABLE', `Cannot open the journal in ${this.dir}: ${String(error)}`, {
            cause: error,
          });
    }
  }
}
