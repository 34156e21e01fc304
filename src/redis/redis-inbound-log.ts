import { randomBytes } from 'node:crypto';
import type {
  InboundLog,
  InboundReadResult,
  InboundRecord,
  InboundRetention,
  StreamPosition,
} from '../server/inbound-log';
import { APPEND, READ, TRIM_AGE } from './inbound-scripts';
import { checkRedis } from './redis-check';
import { exact, streamTag } from './redis-keys';
import type { RedisPort } from './redis-port';

export interface RedisInboundLogOptions {
  /** Prepended to every key and channel. @default 'rxrws:' */
  keyPrefix?: string;
  /** Per stream; the server passes its `inboundRetention`. @default { maxMessages: 10000, maxAgeMs: 600000 } */
  retention?: Partial<InboundRetention>;
  /** How long `ready` waits for Redis (ms). @default 10000 */
  connectTimeoutMs?: number;
  /** How many keys one `trim()` looks at (SCAN COUNT); the scan carries on at the next call. @default 1000 */
  trimScanCount?: number;
}

/** Streams whose last watched seq is kept for gap filling; the oldest are forgotten past this. */
const MAX_WATCHED_STREAMS = 100_000;
const GAP_READ_LIMIT = 1000;

/**
 * The inbound streams log of many nodes on one Redis (DESIGN §6, §7): each
 * stream a Redis Stream with ids `0-<seq>`, its seq counter and its epoch,
 * all under one hash tag (one Cluster slot per stream). `append` is one Lua
 * call (INCR, XADD with MAXLEN, PUBLISH), so seqs are gap-free and every
 * node's `watch` sees one stream's records in seq order; a record missed
 * while a node's subscriber reconnected is read back from the log before the
 * next one is passed on. Every call rejects while Redis is unreachable
 * (`publish` rejects: the caller learns it was not published).
 */
export class RedisInboundLog implements InboundLog {
  readonly ready: Promise<void>;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly retention: InboundRetention;
  private readonly listeners = new Set<(record: InboundRecord) => void>();
  /** Last seq passed to listeners per stream, and the chain that keeps a stream's records in order. */
  private readonly watched = new Map<string, { seq: number; chain: Promise<void> }>();
  private unsubscribe: Promise<() => void> | undefined;
  /** Where the retention sweep's SCAN over every stream key goes on at the next `trim()`. */
  private scanCursor = '0';
  private readonly streamPattern: string;
  private readonly trimScanCount: number;

  constructor(
    private readonly port: RedisPort,
    options: RedisInboundLogOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'rxrws:';
    this.channel = `${this.prefix}inbound`;
    this.retention = {
      maxMessages: options.retention?.maxMessages ?? 10_000,
      maxAgeMs: options.retention?.maxAgeMs ?? 600_000,
    };
    // `<prefix>{<16-char tag>}x:<stream>`; SCAN's TYPE filter leaves out dedupe keys that match by chance.
    this.streamPattern = `${escapeGlob(this.prefix)}{${'?'.repeat(16)}}x:*`;
    this.trimScanCount = Math.max(1, options.trimScanCount ?? 1000);
    this.ready = checkRedis(port, options.connectTimeoutMs ?? 10_000);
    this.ready.catch(() => undefined);
  }

  async append(stream: string, name: string, payload: unknown, now: number): Promise<InboundRecord> {
    const json = payload === undefined ? '' : JSON.stringify(payload);
    const [, seq] = (await this.port.script(APPEND, this.keys(stream), [
      newEpoch(),
      this.channel,
      now,
      name,
      json,
      stream,
      this.retention.maxMessages,
    ])) as [string, number];
    const record: InboundRecord =
      payload === undefined ? { stream, seq, name, ts: now } : { stream, seq, name, payload, ts: now };
    // This node's watchers need not wait for the pub/sub echo (nor miss a record
    // appended before the subscription was up); the echo is dropped by seq.
    if (this.listeners.size > 0) this.deliver(record);
    return record;
  }

  async read(stream: string, afterSeq: number, limit: number): Promise<InboundReadResult> {
    const [epoch, lastSeq, firstSeq, entries] = (await this.port.script(READ, this.keys(stream), [
      newEpoch(),
      Math.max(0, afterSeq),
      Math.max(0, limit),
    ])) as [string, number, number, Array<[string, string[]]>];
    return { epoch, lastSeq, firstSeq, records: entries.map((entry) => toRecord(stream, entry)) };
  }

  async position(stream: string): Promise<StreamPosition> {
    const { epoch, lastSeq } = await this.read(stream, 0, 0);
    return { epoch, lastSeq };
  }

  watch(listener: (record: InboundRecord) => void): () => void {
    this.listeners.add(listener);
    this.unsubscribe ??= this.port.subscribe(this.channel, (message) => this.onMessage(message));
    this.unsubscribe.catch(() => (this.unsubscribe = undefined));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0 || this.unsubscribe === undefined) return;
      const stopping = this.unsubscribe;
      this.unsubscribe = undefined;
      void stopping.then(
        (stop) => stop(),
        () => undefined,
      );
    };
  }

  /**
   * Drops records older than `maxAgeMs` (maxMessages is kept by XADD MAXLEN)
   * from every stream on Redis, whichever node wrote it: each call takes the
   * next page of a SCAN over the stream keys (`trimScanCount` keys, at most
   * 10,000 records per stream), so a call stays short however many streams
   * there are, and the server's sweep covers them all over successive calls.
   */
  async trim(now: number): Promise<number> {
    const cutoff = now - this.retention.maxAgeMs;
    const [next, keys] = (await this.port.command('SCAN', [
      this.scanCursor,
      'MATCH',
      this.streamPattern,
      'COUNT',
      this.trimScanCount,
      'TYPE',
      'stream',
    ])) as [string, string[]];
    this.scanCursor = next;
    const dropped = await Promise.all(
      keys.map((key) => this.port.script(TRIM_AGE, [key], [cutoff]).then(Number)),
    );
    return dropped.reduce((a, b) => a + b, 0);
  }

  /** Whether the last `trim()` finished a pass over every stream key (the next one starts another). */
  get trimPassDone(): boolean {
    return this.scanCursor === '0';
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const stopping = this.unsubscribe;
    this.unsubscribe = undefined;
    await stopping?.then(
      (stop) => stop(),
      () => undefined,
    );
  }

  /** Also registers `stream` among the watched ones (the last seq passed to listeners). */
  private keys(stream: string): string[] {
    if (!this.watched.has(stream)) this.track(stream, 0);
    const base = `${this.prefix}{${streamTag(stream)}}`;
    const id = exact(stream);
    return [`${base}q:${id}`, `${base}e:${id}`, `${base}x:${id}`];
  }

  private track(stream: string, seq: number): { seq: number; chain: Promise<void> } {
    const entry = { seq, chain: Promise.resolve() };
    this.watched.set(stream, entry);
    if (this.watched.size > MAX_WATCHED_STREAMS) this.watched.delete(this.watched.keys().next().value!);
    return entry;
  }

  private onMessage(message: string): void {
    const parts = message.split('\n');
    if (parts.length < 5) return;
    const [stream, seqText, tsText, name] = parts as [string, string, string, string];
    const json = parts.slice(4).join('\n');
    const seq = Number(seqText);
    const record: InboundRecord =
      json === ''
        ? { stream, seq, name, ts: Number(tsText) }
        : { stream, seq, name, payload: JSON.parse(json), ts: Number(tsText) };
    this.deliver(record);
  }

  private deliver(record: InboundRecord): void {
    const entry = this.watched.get(record.stream) ?? this.track(record.stream, record.seq - 1);
    entry.chain = entry.chain.then(() => this.deliverInOrder(entry, record));
  }

  /** Passes `record` on after any record this node missed (read back from the log). */
  private async deliverInOrder(entry: { seq: number }, record: InboundRecord): Promise<void> {
    if (record.seq <= entry.seq) return;
    if (entry.seq > 0 && record.seq > entry.seq + 1) {
      try {
        const missed = await this.read(
          record.stream,
          entry.seq,
          Math.min(GAP_READ_LIMIT, record.seq - entry.seq - 1),
        );
        for (const r of missed.records) if (r.seq < record.seq) this.emit(entry, r);
      } catch {
        // Redis went away again: the session's resume reads what it lacks.
      }
    }
    this.emit(entry, record);
  }

  private emit(entry: { seq: number }, record: InboundRecord): void {
    if (record.seq <= entry.seq) return;
    entry.seq = record.seq;
    for (const listener of [...this.listeners]) listener(record);
  }
}

function toRecord(stream: string, [id, fields]: [string, string[]]): InboundRecord {
  let ts = 0;
  let name = '';
  let payload: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1]!;
    if (fields[i] === 't') ts = Number(value);
    else if (fields[i] === 'n') name = value;
    else if (fields[i] === 'p') payload = value;
  }
  const seq = Number(id.slice(2));
  return payload === undefined
    ? { stream, seq, name, ts }
    : { stream, seq, name, payload: JSON.parse(payload) as unknown, ts };
}

/** `text` matched literally by a Redis glob (MATCH). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function newEpoch(): string {
  return randomBytes(8).toString('base64url');
}
