import {
  StreamFrameType,
  type Envelope,
  type StreamAckEnvelope,
  type StreamCursor,
  type StreamGapReason,
  type StreamMessageEnvelope,
  type StreamVerdict,
} from '../protocol';
import type { InboundLog, InboundRecord } from './inbound-log';
import { PublishError } from './publish-error';

/** Where a session's stream frames go (a `ServerConnection`). */
export interface StreamSink {
  readonly isOpen: boolean;
  push(envelope: Envelope): void;
  /** Queues `envelope` already encoded as `text` (its JSON), sparing the encode; `push` when absent. */
  pushEncoded?(text: string, envelope: Envelope): void;
}

/**
 * Messages of one stream sent to a session and not yet acked, at most. The
 * client acks every 100 messages or 100 ms, so this never stalls a healthy
 * session; a client that stops acking (or an app that never commits, in
 * manual ack mode) stops receiving until it acks, and the server holds
 * nothing for it meanwhile: the rest stays in the log.
 */
export const MAX_UNACKED = 1000;
/** Records read from the log at once during replay. */
const READ_CHUNK = 256;
const MAX_NAME = 128;
/** The inbound log's retention sweep runs this often. */
const TRIM_INTERVAL_MS = 1000;

/** One session's place in one stream: `sent` is the newest seq written to it, `acked` the newest it acked. */
interface Feed {
  readonly sink: StreamSink;
  readonly stream: string;
  epoch: string;
  sent: number;
  acked: number;
  /** A read of the log is under way (or replay has not started): live records wait for it. */
  pumping: boolean;
  /** A record was appended while pumping: read again before stopping. */
  dirty: boolean;
  closed: boolean;
}

export interface PublisherStats {
  published: number;
  streamed: number;
  resets: number;
}

/**
 * Reliable server → client streams on an `InboundLog` (DESIGN §6): appends,
 * computes each session's resume verdict, replays what came after a cursor
 * before anything live, and sends live records to caught-up sessions. A
 * session holds only a position; what it has not received stays in the log.
 */
export class StreamPublisher {
  readonly stats: PublisherStats = { published: 0, streamed: 0, resets: 0 };
  private readonly byStream = new Map<string, Set<Feed>>();
  private readonly bySink = new Map<StreamSink, Feed[]>();
  private unwatch: (() => void) | undefined;
  /** Set once the log's `ready` has resolved (at once for a log without one). */
  private logReady: boolean;
  private trimTimer: NodeJS.Timeout | undefined;
  /** During a synchronous append only: the payload being appended and its JSON, checked by `refuse`. */
  private appending: unknown;
  private appendingJson: string | undefined;
  /**
   * The payload JSON of records appended while a session was behind (reading the log), kept for
   * that read: taken by the first send, and gone with the record when retention drops it.
   */
  private readonly jsonOf = new WeakMap<InboundRecord, string>();
  /** The frame text before the seq, for the last stream and epoch encoded. */
  private prefixFor: { stream: string; epoch: string; text: string } | undefined;

  constructor(
    private readonly log: InboundLog,
    private readonly report: (error: unknown) => void,
  ) {
    this.logReady = log.ready === undefined;
  }

  /** Follows the log and starts the retention sweep. */
  start(): void {
    this.unwatch ??= this.log.watch(this.onRecord);
    if (this.trimTimer === undefined) {
      this.trimTimer = setInterval(() => {
        Promise.resolve()
          .then(() => this.log.trim(Date.now()))
          .catch(this.report);
      }, TRIM_INTERVAL_MS);
      this.trimTimer.unref();
    }
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    clearInterval(this.trimTimer);
    this.trimTimer = undefined;
  }

  /** Appends; resolves once the log holds it. A bad argument is a TypeError, a log failure a `PublishError`. */
  publish(stream: string, name: string, payload?: unknown): Promise<{ stream: string; seq: number }> {
    const json = refuse(stream, name, payload);
    if (typeof json !== 'string' && json !== undefined) return Promise.reject(json);
    if (!this.logReady) return this.publishOnceReady(stream, name, payload);
    // The hot path: a ready, synchronous log (the memory default) costs no await and no closure, and
    // the record it hands its watchers at once is sent with the payload's JSON from `refuse`.
    let appended: InboundRecord | PromiseLike<InboundRecord>;
    this.appending = payload;
    this.appendingJson = json;
    try {
      appended = this.log.append(stream, name, payload, Date.now());
    } catch (error) {
      return Promise.reject(new PublishError(stream, error));
    } finally {
      this.appending = this.appendingJson = undefined;
    }
    if (isPromiseLike(appended)) return this.settle(stream, appended);
    this.stats.published++;
    return Promise.resolve({ stream, seq: appended.seq });
  }

  private async settle(
    stream: string,
    appended: PromiseLike<InboundRecord>,
  ): Promise<{ stream: string; seq: number }> {
    let record: InboundRecord;
    try {
      record = await appended;
    } catch (error) {
      throw new PublishError(stream, error);
    }
    this.stats.published++;
    return { stream, seq: record.seq };
  }

  private async publishOnceReady(
    stream: string,
    name: string,
    payload: unknown,
  ): Promise<{ stream: string; seq: number }> {
    try {
      await this.log.ready;
    } catch (error) {
      throw new PublishError(stream, error);
    }
    this.logReady = true;
    return this.publish(stream, name, payload);
  }

  /**
   * The verdict for each of a session's streams, from the client's cursors.
   * The feeds are registered at once but send nothing until `begin()`, which the
   * connection calls right after writing the welcome: replay follows it.
   */
  async open(
    sink: StreamSink,
    streams: readonly string[],
    cursors: readonly StreamCursor[],
  ): Promise<{ verdicts: StreamVerdict[]; begin: () => void }> {
    const byName = new Map(cursors.map((c) => [c.stream, c]));
    const verdicts: StreamVerdict[] = [];
    for (const stream of new Set(streams)) {
      const bounds = await this.log.read(stream, 0, 0);
      verdicts.push(decide(stream, byName.get(stream), bounds));
    }
    // Registered only now, in one go: a session that closed during the reads is detached by its
    // connection afterwards. Nothing appended meanwhile is missed: replay reads the log from each verdict.
    this.detach(sink);
    const feeds: Feed[] = verdicts.map((verdict) => ({
      sink,
      stream: verdict.stream,
      epoch: verdict.epoch,
      sent: verdict.seq,
      acked: verdict.seq,
      pumping: true,
      dirty: false,
      closed: false,
    }));
    this.bySink.set(sink, feeds);
    for (const feed of feeds) {
      let set = this.byStream.get(feed.stream);
      if (set === undefined) this.byStream.set(feed.stream, (set = new Set()));
      set.add(feed);
    }
    const begin = (): void => {
      for (const feed of feeds) {
        feed.pumping = false;
        void this.pump(feed);
      }
    };
    return { verdicts, begin };
  }

  /** A cumulative ack from the session: opens the window again. */
  ack(sink: StreamSink, ack: StreamAckEnvelope): void {
    const feed = this.bySink.get(sink)?.find((f) => f.stream === ack.stream);
    if (feed === undefined || feed.epoch !== ack.epoch || ack.seq <= feed.acked) return;
    feed.acked = Math.min(ack.seq, feed.sent);
    if (!feed.pumping) void this.pump(feed);
  }

  /** The session is gone: forget its feeds. */
  detach(sink: StreamSink): void {
    const feeds = this.bySink.get(sink);
    if (feeds === undefined) return;
    this.bySink.delete(sink);
    for (const feed of feeds) {
      feed.closed = true;
      const set = this.byStream.get(feed.stream);
      set?.delete(feed);
      if (set?.size === 0) this.byStream.delete(feed.stream);
    }
  }

  private readonly onRecord = (record: InboundRecord): void => {
    const feeds = this.byStream.get(record.stream);
    if (feeds === undefined) return;
    let envelope: StreamMessageEnvelope | undefined;
    let text: string | undefined;
    let behind = false;
    for (const feed of feeds) {
      if (feed.pumping) {
        feed.dirty = behind = true;
        continue;
      }
      // A full window waits for the session's ack, which pumps from the log: no read (and no promise) per record meanwhile.
      if (feed.sent - feed.acked >= MAX_UNACKED) {
        behind = true;
        continue;
      }
      if (record.seq !== feed.sent + 1 || !feed.sink.isOpen) {
        behind = true;
        void this.pump(feed);
        continue;
      }
      if (envelope?.epoch !== feed.epoch) {
        envelope = toEnvelope(record, feed.epoch);
        text = this.encode(envelope, record.payload === this.appending ? this.appendingJson : undefined);
      }
      this.send(feed, envelope, text);
    }
    if (behind && this.appendingJson !== undefined && record.payload === this.appending)
      this.jsonOf.set(record, this.appendingJson);
  };

  /**
   * What `JSON.stringify(envelope)` gives, built from parts (`json`: the payload's JSON when known);
   * undefined when the payload cannot be encoded, left to the sink's `push` to report.
   */
  private encode(envelope: StreamMessageEnvelope, json?: string): string | undefined {
    if (json === undefined && envelope.payload !== undefined) {
      try {
        json = JSON.stringify(envelope.payload) as string | undefined;
      } catch {
        return undefined;
      }
    }
    let prefix = this.prefixFor;
    if (prefix?.stream !== envelope.stream || prefix.epoch !== envelope.epoch) {
      const text = `{"type":"stream","stream":${JSON.stringify(envelope.stream)},"epoch":${JSON.stringify(envelope.epoch)},"seq":`;
      this.prefixFor = prefix = { stream: envelope.stream, epoch: envelope.epoch, text };
    }
    const head = `${prefix.text}${envelope.seq},"name":${JSON.stringify(envelope.name)}`;
    return json === undefined ? `${head}}` : `${head},"payload":${json}}`;
  }

  /** Reads from the log until the feed is caught up or its window is full. */
  private async pump(feed: Feed): Promise<void> {
    if (feed.pumping || feed.closed) return;
    feed.pumping = true;
    try {
      for (;;) {
        const room = MAX_UNACKED - (feed.sent - feed.acked);
        if (room <= 0 || feed.closed || !feed.sink.isOpen) return;
        feed.dirty = false;
        const read = await this.log.read(feed.stream, feed.sent, Math.min(room, READ_CHUNK));
        if (feed.closed) return;
        if (read.epoch !== feed.epoch) {
          this.reset(feed, 'EPOCH_CHANGED', read.epoch, read.firstSeq - 1);
          continue;
        }
        if (read.lastSeq < feed.sent) {
          this.reset(feed, 'CURSOR_AHEAD', read.epoch, read.lastSeq);
          continue;
        }
        if (read.firstSeq > feed.sent + 1) this.reset(feed, 'WINDOW_EXCEEDED', read.epoch, read.firstSeq - 1);
        for (const record of read.records) {
          if (record.seq !== feed.sent + 1) break; // defensive: a log must return a contiguous run
          const envelope = toEnvelope(record, feed.epoch);
          const json = this.jsonOf.get(record);
          if (json !== undefined) this.jsonOf.delete(record);
          this.send(feed, envelope, this.encode(envelope, json));
        }
        if (read.records.length === 0 && !feed.dirty) return;
      }
    } catch (error) {
      this.report(error); // the session keeps its position; the next record or ack tries again
    } finally {
      feed.pumping = false;
    }
  }

  private send(feed: Feed, envelope: StreamMessageEnvelope, text?: string): void {
    if (text !== undefined && feed.sink.pushEncoded !== undefined) feed.sink.pushEncoded(text, envelope);
    else feed.sink.push(envelope);
    feed.sent = envelope.seq;
    this.stats.streamed++;
  }

  /** Announces mid-session that the stream continues after `seq` of `epoch`, not where it was. */
  private reset(feed: Feed, reason: StreamGapReason, epoch: string, seq: number): void {
    this.stats.resets++;
    feed.sink.push({ type: StreamFrameType.RESET, stream: feed.stream, epoch, seq, reason });
    feed.epoch = epoch;
    feed.sent = feed.acked = seq;
  }
}

/** Resume, or say why not (docs/protocol.md, section 14). */
export function decide(
  stream: string,
  cursor: StreamCursor | undefined,
  bounds: { epoch: string; firstSeq: number; lastSeq: number },
): StreamVerdict {
  const { epoch, firstSeq, lastSeq } = bounds;
  const verdict = (seq: number, reason?: StreamVerdict['reason']): StreamVerdict =>
    reason === undefined
      ? { stream, epoch, seq, resumed: true }
      : { stream, epoch, seq, resumed: false, reason };
  if (cursor === undefined) return verdict(lastSeq, 'NEW');
  if (cursor.epoch !== epoch) return verdict(firstSeq - 1, 'EPOCH_CHANGED');
  if (cursor.seq > lastSeq) return verdict(lastSeq, 'CURSOR_AHEAD');
  if (cursor.seq < firstSeq - 1) return verdict(firstSeq - 1, 'WINDOW_EXCEEDED');
  return verdict(cursor.seq);
}

function toEnvelope(record: InboundRecord, epoch: string): StreamMessageEnvelope {
  const envelope: StreamMessageEnvelope = {
    type: StreamFrameType.MESSAGE,
    stream: record.stream,
    epoch,
    seq: record.seq,
    name: record.name,
  };
  if (record.payload !== undefined) envelope.payload = record.payload;
  return envelope;
}

const badName = (value: unknown): boolean =>
  typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME;

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T>)?.then === 'function';
}

/** Why `publish` refuses its arguments (a TypeError), or the payload's JSON (undefined for none). */
function refuse(stream: unknown, name: unknown, payload: unknown): TypeError | string | undefined {
  const bad = badName(stream) ? 'stream' : badName(name) ? 'name' : undefined;
  if (bad !== undefined) {
    const value = bad === 'stream' ? stream : name;
    return new TypeError(`\`${bad}\` must be a string of 1 to ${MAX_NAME} characters, got ${String(value)}.`);
  }
  try {
    return JSON.stringify(payload) as string | undefined;
  } catch (cause) {
    return new TypeError(`The payload of ${JSON.stringify(name)} cannot be encoded as JSON.`, { cause });
  }
}
