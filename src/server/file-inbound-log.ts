import { FileStorageAdapter, type FileStorageAdapterOptions } from '../storage/file-storage-adapter';
import type {
  InboundLog,
  InboundReadResult,
  InboundRecord,
  InboundRetention,
  StreamPosition,
} from './inbound-log';
import { MemoryInboundLog, newEpoch } from './memory-inbound-log';

export interface FileInboundLogOptions extends Partial<InboundRetention> {
  /** Options of the `FileStorageAdapter` the log opens when given a directory. @default {} (fsync on) */
  storage?: FileStorageAdapterOptions;
}

/** One record on disk: name, payload, time. */
interface StoredRecord {
  n: string;
  p?: unknown;
  t: number;
}

interface WatchHandle {
  off?: () => void;
  cancelled?: boolean;
}

const EPOCH_KEY = 'inbound:epoch';
const RECORD = 'inbound:r:';
const LAST = 'inbound:last:';

/**
 * An `InboundLog` that survives a restart or `kill -9` of the server, on the
 * fsync'd journal of `FileStorageAdapter` (group commit: appends issued
 * together share one write and one fsync). `append` resolves only once the
 * record is on disk, and only then do sessions see it; so a message a client
 * received is never missing after a restart, and `epoch` stays the same: a
 * client resumes with nothing lost and nothing twice.
 *
 * Reads are served from memory (loaded on open), bounded like the memory log
 * by `maxMessages` per stream and `maxAgeMs`; dropped records are removed from
 * the journal, which compacts itself. A failed write fails the log closed:
 * that append and every later one reject (a hole in a stream would break its
 * order), until the server restarts on a readable journal.
 *
 * One log per directory, in one process.
 */
export class FileInboundLog implements InboundLog {
  readonly ready: Promise<void>;
  private readonly storage: FileStorageAdapter;
  private readonly ownsStorage: boolean;
  private readonly retention: Partial<InboundRetention>;
  private memory: MemoryInboundLog | undefined;
  /** Seq handed out per stream, ahead of `memory` while writes are in flight. */
  private readonly nextSeq = new Map<string, number>();
  private failure: Error | undefined;
  /** Watchers registered before the journal was loaded. */
  private readonly pendingWatchers: Array<[(record: InboundRecord) => void, WatchHandle]> = [];

  constructor(dirOrStorage: string | FileStorageAdapter, options: FileInboundLogOptions = {}) {
    const { storage, ...retention } = options;
    this.retention = retention;
    new MemoryInboundLog(retention); // validates the retention now, not at load
    this.ownsStorage = typeof dirOrStorage === 'string';
    this.storage =
      typeof dirOrStorage === 'string' ? new FileStorageAdapter(dirOrStorage, storage) : dirOrStorage;
    this.ready = this.load();
    this.ready.catch(() => undefined); // reported through listen() and every call
  }

  get epoch(): string | undefined {
    return this.memory?.epoch;
  }

  async append(stream: string, name: string, payload: unknown, now: number): Promise<InboundRecord> {
    const memory = await this.loaded();
    if (this.failure) throw this.failure;
    const seq = (this.nextSeq.get(stream) ?? memory.position(stream).lastSeq) + 1;
    this.nextSeq.set(stream, seq);
    const record: InboundRecord = { stream, seq, name, payload, ts: now };
    const stored: StoredRecord = { n: name, t: now };
    if (payload !== undefined) stored.p = payload;
    try {
      await this.storage.setItem(recordKey(stream, seq), stored);
    } catch (error) {
      this.failure ??= new Error(
        'The inbound log could not write to its journal; restart on a healthy disk.',
        {
          cause: error,
        },
      );
      throw error;
    }
    // An earlier append failed while this one was in flight: holding it would leave a hole in the stream.
    if (this.failure) throw this.failure;
    // Batches complete in order, and their writes resolve in order: records become visible in seq order.
    memory.insert(record);
    memory.notify(record);
    return record;
  }

  async read(stream: string, afterSeq: number, limit: number): Promise<InboundReadResult> {
    return (await this.loaded()).read(stream, afterSeq, limit);
  }

  async position(stream: string): Promise<StreamPosition> {
    return (await this.loaded()).position(stream);
  }

  watch(listener: (record: InboundRecord) => void): () => void {
    if (this.memory) return this.memory.watch(listener);
    const handle: WatchHandle = {};
    this.pendingWatchers.push([listener, handle]);
    return () => {
      handle.cancelled = true;
      handle.off?.();
    };
  }

  async trim(now: number): Promise<number> {
    return (await this.loaded()).trim(now);
  }

  /** Records held, all streams together. */
  size(): number {
    return this.memory?.size() ?? 0;
  }

  /** Waits for pending writes and closes the journal (if the log opened it). */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    if (this.ownsStorage) await this.storage.close();
  }

  private async loaded(): Promise<MemoryInboundLog> {
    if (this.memory) return this.memory;
    await this.ready;
    return this.memory!;
  }

  private async load(): Promise<void> {
    await this.storage.ready;
    let epoch = await this.storage.getItem<string>(EPOCH_KEY);
    if (typeof epoch !== 'string') {
      epoch = newEpoch();
      await this.storage.setItem(EPOCH_KEY, epoch);
    }
    const records: InboundRecord[] = [];
    const lasts: Array<[string, number]> = [];
    for (const key of await this.storage.keys()) {
      if (key.startsWith(RECORD)) {
        const [stream, seq] = JSON.parse(key.slice(RECORD.length)) as [string, number];
        const stored = await this.storage.getItem<StoredRecord>(key);
        if (stored !== null) records.push({ stream, seq, name: stored.n, payload: stored.p, ts: stored.t });
      } else if (key.startsWith(LAST)) {
        const last = await this.storage.getItem<number>(key);
        if (typeof last === 'number') lasts.push([JSON.parse(key.slice(LAST.length)) as string, last]);
      }
    }
    records.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.seq - b.seq));
    const memory = new MemoryInboundLog(this.retention, {
      epoch,
      onDrop: (record) => this.dropped(record),
    });
    for (const [stream, last] of lasts) memory.restoreLastSeq(stream, last);
    for (const record of records) {
      const { lastSeq } = memory.position(record.stream);
      // Only a contiguous run is a stream: the journal keeps a prefix of the writes, so this holds unless edited.
      if (lastSeq === 0 || record.seq === lastSeq + 1) memory.insert(record);
      else if (record.seq > lastSeq) {
        memory.restoreLastSeq(record.stream, record.seq - 1);
        memory.insert(record);
      }
    }
    this.memory = memory;
    for (const [listener, handle] of this.pendingWatchers.splice(0)) {
      if (!handle.cancelled) handle.off = memory.watch(listener);
    }
  }

  /** A record left the retention: forget it on disk, keeping the stream's newest seq when it was the last. */
  private dropped(record: InboundRecord): void {
    const memory = this.memory;
    const last = memory?.position(record.stream).lastSeq;
    const writes: Array<Promise<void>> = [];
    if (last === record.seq) writes.push(this.storage.setItem(lastKey(record.stream), last));
    writes.push(this.storage.removeItem(recordKey(record.stream, record.seq)));
    Promise.all(writes).catch(() => undefined); // a record that stays on disk is dropped again at the next load
  }
}

function recordKey(stream: string, seq: number): string {
  return RECORD + JSON.stringify([stream, seq]);
}

function lastKey(stream: string): string {
  return LAST + JSON.stringify(stream);
}
