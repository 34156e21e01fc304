import { randomUUID } from 'node:crypto';
import type {
  InboundLog,
  InboundReadResult,
  InboundRecord,
  InboundRetention,
  StreamPosition,
} from './inbound-log';

export const DEFAULT_INBOUND_RETENTION: InboundRetention = { maxMessages: 10_000, maxAgeMs: 600_000 };

/** One stream: its newest seq, and the records still held from `head` on (a queue without per-shift cost). */
interface StreamRecords {
  lastSeq: number;
  records: InboundRecord[];
  head: number;
}

/**
 * The in-process `InboundLog` (the server's default). Memory is bounded per
 * stream by `maxMessages` (enforced at every append) and by `maxAgeMs`
 * (enforced by `trim`, which the server calls every second); a stream whose
 * records are all gone keeps only its newest seq (a few dozen bytes), so seqs
 * never restart. Sessions hold no records of their own: they read from here.
 *
 * Its `epoch` is new for every instance: after a restart every cursor is from
 * another epoch and clients are told `EPOCH_CHANGED`, never resumed silently.
 */
export class MemoryInboundLog implements InboundLog {
  readonly epoch: string;
  readonly retention: InboundRetention;
  private readonly streams = new Map<string, StreamRecords>();
  private readonly listeners = new Set<(record: InboundRecord) => void>();

  private readonly onDrop: ((record: InboundRecord) => void) | undefined;

  /**
   * @param retention Per stream: `maxMessages` (default 10,000) and `maxAgeMs` (default 600,000, the default dedupe window).
   * @param options `epoch` (default a random UUID); `onDrop`, told of every record retention drops (the file log's hook).
   */
  constructor(
    retention: Partial<InboundRetention> = {},
    options: { epoch?: string; onDrop?: (record: InboundRecord) => void } = {},
  ) {
    this.retention = checkRetention({ ...DEFAULT_INBOUND_RETENTION, ...retention });
    this.epoch = options.epoch ?? newEpoch();
    this.onDrop = options.onDrop;
  }

  append(stream: string, name: string, payload: unknown, now: number): InboundRecord {
    const record: InboundRecord = { stream, seq: this.position(stream).lastSeq + 1, name, payload, ts: now };
    this.insert(record);
    this.notify(record);
    return record;
  }

  /** @internal Holds `record` (its seq must follow the stream's newest) without telling watchers. */
  insert(record: InboundRecord): void {
    const entry = this.entry(record.stream);
    entry.records.push(record);
    entry.lastSeq = record.seq;
    if (entry.records.length - entry.head > this.retention.maxMessages) this.drop(entry);
    compact(entry);
  }

  /** @internal Tells watchers about a record held by `insert`. */
  notify(record: InboundRecord): void {
    for (const listener of this.listeners) listener(record);
  }

  /** @internal A stream whose records are all gone still continues from `lastSeq`. */
  restoreLastSeq(stream: string, lastSeq: number): void {
    const entry = this.entry(stream);
    if (entry.records.length === entry.head) entry.lastSeq = Math.max(entry.lastSeq, lastSeq);
  }

  read(stream: string, afterSeq: number, limit: number): InboundReadResult {
    const entry = this.streams.get(stream);
    if (entry === undefined) return { epoch: this.epoch, lastSeq: 0, firstSeq: 1, records: [] };
    const held = entry.records.length - entry.head;
    const firstSeq = entry.lastSeq - held + 1;
    const start = entry.head + Math.max(0, afterSeq + 1 - firstSeq);
    const records = limit > 0 ? entry.records.slice(start, start + limit) : [];
    return { epoch: this.epoch, lastSeq: entry.lastSeq, firstSeq, records };
  }

  position(stream: string): StreamPosition {
    return { epoch: this.epoch, lastSeq: this.streams.get(stream)?.lastSeq ?? 0 };
  }

  watch(listener: (record: InboundRecord) => void): () => void {
    const own = (record: InboundRecord): void => listener(record);
    this.listeners.add(own);
    return () => this.listeners.delete(own);
  }

  trim(now: number): number {
    const oldest = now - this.retention.maxAgeMs;
    let dropped = 0;
    for (const entry of this.streams.values()) {
      while (entry.head < entry.records.length && entry.records[entry.head]!.ts <= oldest) {
        this.drop(entry);
        dropped++;
      }
      compact(entry);
    }
    return dropped;
  }

  /** Records held in every stream together (for stats and tests). */
  size(): number {
    let n = 0;
    for (const entry of this.streams.values()) n += entry.records.length - entry.head;
    return n;
  }

  private entry(stream: string): StreamRecords {
    let entry = this.streams.get(stream);
    if (entry === undefined) {
      entry = { lastSeq: 0, records: [], head: 0 };
      this.streams.set(stream, entry);
    }
    return entry;
  }

  private drop(entry: StreamRecords): void {
    const record = entry.records[entry.head]!;
    entry.records[entry.head++] = undefined as unknown as InboundRecord; // released now, not at the next compaction
    this.onDrop?.(record);
  }
}

/**
 * A short id for a log's life, sent in every stream frame: the clock (base 36)
 * and 48 random bits, so two lives never share one.
 */
export function newEpoch(): string {
  return `${Date.now().toString(36)}${randomUUID().slice(-12)}`;
}

/** Drops the consumed front once it is most of the array: amortised O(1) per record. */
function compact(entry: StreamRecords): void {
  if (entry.head > 1024 && entry.head * 2 > entry.records.length) {
    entry.records = entry.records.slice(entry.head);
    entry.head = 0;
  }
}

export function checkRetention(retention: InboundRetention): InboundRetention {
  for (const key of ['maxMessages', 'maxAgeMs'] as const) {
    const value = retention[key];
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`\`inboundRetention.${key}\` must be a positive integer, got ${String(value)}.`);
  }
  return retention;
}
