import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { encodeFrame } from '../protocol/codec';
import {
  StreamFrameType,
  type StreamCursor,
  type StreamGapReason,
  type StreamMessageEnvelope,
  type StreamResetEnvelope,
  type StreamVerdict,
} from '../protocol/stream-envelope';
import { coalesceAcks } from '../operators/coalesce-acks';
import type { StorageAdapter } from '../storage/storage-adapter';
import type { InboundGap, InboundMessage } from './client-events';
import { InboundCursorStore, type StoredCursors } from './inbound-cursor-store';

export type AckMode = 'auto' | 'manual';

export interface InboundStreamsConfig {
  storage: StorageAdapter;
  storageKey: string;
  /** False (`enablePersistence: false`): cursors live in memory only, nothing is written. */
  persist: boolean;
  ackMode: AckMode;
  scheduler: SchedulerLike;
  /** Writes one encoded envelope on the current socket (dropped while offline). */
  write: (frame: string) => void;
  /** Hands one message to app code (messages$, `message` events, other tabs). */
  deliver: (message: InboundMessage) => void;
  gap: (gap: InboundGap) => void;
  error: (error: Error) => void;
  counters: InboundCounters;
}

export interface InboundCounters {
  inboundReceived: number;
  inboundRedelivered: number;
  inboundDuplicates: number;
  inboundGaps: number;
}

/** Where app code is in a stream (what is persisted). */
interface Position {
  epoch: string;
  /** Highest seq handed to app code. */
  handed: number;
  /** Highest seq committed (auto: handed; manual: `commit`ted). */
  committed: number;
  /** Highest seq that may have reached app code before this process started: redelivered. */
  redeliverUpTo: number;
  /** `handed` as last persisted, or about to be before a hand-off. */
  highWater: number;
}

/** The stream goes on after `seq` of `epoch` (a verdict or reset that skipped, or a fresh start). */
interface Jump {
  type: 'jump';
  stream: string;
  epoch: string;
  seq: number;
  reason: StreamGapReason | 'NEW' | 'SEQ_SKIPPED' | (string & {});
}

/** Resolves once everything queued before it is handled (and persisted). */
interface Barrier {
  type: 'barrier';
  done: () => void;
}

/** Queued for the hand-off loop: a message as it came off the wire, a jump, or a barrier. */
type Work = StreamMessageEnvelope | Jump | Barrier;

const RESOLVED = Promise.resolve();

/** Most messages handed to app code per cursor write. */
const BATCH = 256;

/**
 * The client side of reliable streams (docs/protocol.md, section 14): cursors
 * restored from storage and sent in every hello, verdicts applied, duplicates
 * dropped by seq, gaps announced before any later message, cursor persisted
 * around every hand-off, cumulative acks coalesced (100 ms / 100 messages).
 *
 * The hand-off rule that makes a crash visible: before a batch reaches app
 * code its highest seq is persisted as the high-water mark; after it, the
 * committed seq. A process that dies in between restarts from the committed
 * seq and marks what it gets again up to the high-water mark `redelivered`.
 */
export class InboundStreams {
  readonly #config: InboundStreamsConfig;
  readonly #store: InboundCursorStore;
  /** What was received, per stream: dedupe and the hello's cursor. */
  readonly #received = new Map<string, { epoch: string; seq: number }>();
  /** What app code has, per stream (persisted). */
  readonly #positions = new Map<string, Position>();
  readonly #work: Work[] = [];
  /** Commit points; `n` is how many messages each stands for. */
  readonly #commits = new Subject<StreamCursor & { n: number }>();
  readonly #acks: Subscription;
  #draining = false;
  /** The current session's server speaks streams (its welcome had verdicts). */
  #enabled = false;
  #restored: Promise<void> | undefined;
  /** Settles once the last welcome's new positions are persisted. */
  #settled: Promise<void> = RESOLVED;

  constructor(config: InboundStreamsConfig) {
    this.#config = config;
    this.#store = new InboundCursorStore(config.storage, config.storageKey, () => this.#snapshot());
    this.#acks = this.#commits
      .pipe(coalesceAcks((c) => c.stream, { weightOf: (c) => c.n }, config.scheduler))
      .subscribe((acks) => {
        if (!this.#enabled) return;
        for (const { stream, epoch, seq } of acks) {
          if (this.#received.get(stream)?.epoch === epoch)
            config.write(encodeFrame({ type: StreamFrameType.ACK, stream, epoch, seq }));
        }
      });
  }

  /** Loads the persisted cursors (once); a storage failure is reported and starts without cursors. */
  restore(): Promise<void> {
    if (!this.#config.persist) return Promise.resolve();
    return (this.#restored ??= this.#store.restore().then(
      (stored) => {
        for (const [stream, c] of Object.entries(stored)) {
          if (this.#positions.has(stream)) continue;
          this.#positions.set(stream, {
            epoch: c.e,
            handed: c.c,
            committed: c.c,
            redeliverUpTo: c.h,
            highWater: c.h,
          });
          this.#received.set(stream, { epoch: c.e, seq: c.c });
        }
      },
      (error: unknown) => this.#config.error(error as Error),
    ));
  }

  /** The hello's `streams`: a cursor per known stream (maybe none). */
  cursors(): StreamCursor[] {
    return [...this.#received].map(([stream, { epoch, seq }]) => ({ stream, epoch, seq }));
  }

  /** The welcome: `undefined` from a server without streams. */
  welcome(verdicts: readonly StreamVerdict[] | undefined): void {
    this.#enabled = verdicts !== undefined;
    let jumped = false;
    for (const v of verdicts ?? []) {
      const { stream, epoch, seq } = v;
      this.#received.set(stream, { epoch, seq });
      if (v.resumed) continue;
      jumped = true;
      this.#push({ type: 'jump', stream, epoch, seq, reason: v.reason ?? 'UNKNOWN_STREAM' });
    }
    if (jumped) this.#settled = new Promise<void>((done) => this.#push({ type: 'barrier', done }));
  }

  /**
   * Resolves once the positions the last welcome set are persisted: from then
   * on a subscription survives a crash (`connect()` waits for it), so what is
   * published after `connect()` resolved reaches this client even if it dies
   * at once.
   */
  settled(): Promise<void> {
    return this.#settled;
  }

  offline(): void {
    this.#enabled = false;
  }

  frame(envelope: StreamMessageEnvelope | StreamResetEnvelope): void {
    const { stream, epoch, seq } = envelope;
    if (envelope.type === StreamFrameType.RESET) {
      this.#received.set(stream, { epoch, seq });
      return this.#push({ type: 'jump', stream, epoch, seq, reason: envelope.reason });
    }
    const received = this.#received.get(stream);
    if (received === undefined || received.epoch !== epoch || seq <= received.seq) {
      this.#config.counters.inboundDuplicates++;
      return;
    }
    if (seq !== received.seq + 1)
      this.#push({ type: 'jump', stream, epoch, seq: seq - 1, reason: 'SEQ_SKIPPED' });
    received.seq = seq;
    this.#push(envelope);
  }

  /**
   * `ackMode: 'manual'`: everything of `message.stream` up to `message.seq` is
   * processed; persists the cursor (resolves once durable) and acks it.
   */
  commit(message: Pick<InboundMessage, 'stream' | 'seq' | 'epoch'>): Promise<void> {
    const { stream, seq, epoch } = message;
    const position = stream === undefined ? undefined : this.#positions.get(stream);
    if (position === undefined || seq === undefined || position.epoch !== epoch) {
      return Promise.reject(
        new TypeError('commit() takes a reliable message from messages$ (one with stream, seq and epoch).'),
      );
    }
    const upTo = Math.min(seq, position.handed);
    if (upTo <= position.committed) return RESOLVED;
    position.committed = upTo;
    this.#commits.next({ stream: stream!, epoch: position.epoch, seq: upTo, n: 1 });
    return this.#config.persist ? this.#store.save() : RESOLVED;
  }

  /** Stops acking; resolves once the newest cursor is written (when there is one). */
  async close(): Promise<void> {
    this.#acks.unsubscribe();
    this.#commits.complete();
    if (this.#positions.size > 0) await this.#save();
  }

  #push(work: Work): void {
    this.#work.push(work);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#work.length > 0) {
        const first = this.#work[0]!;
        if (first.type === 'barrier') {
          this.#work.shift();
          first.done();
          continue;
        }
        if (first.type !== StreamFrameType.MESSAGE) {
          this.#work.shift();
          await this.#jump(first);
          continue;
        }
        let n = 0;
        while (n < this.#work.length && n < BATCH && this.#work[n]!.type === StreamFrameType.MESSAGE) n++;
        await this.#handOff(this.#work.splice(0, n) as StreamMessageEnvelope[]);
      }
      if (this.#config.ackMode === 'auto') this.#save();
    } finally {
      this.#draining = false;
    }
  }

  /** The stream goes on after `seq` of `epoch`: announce a gap (never for NEW), then persist. */
  async #jump(work: Jump): Promise<void> {
    const { stream, epoch, seq, reason } = work;
    const previous = this.#positions.get(stream);
    this.#positions.set(stream, { epoch, handed: seq, committed: seq, redeliverUpTo: 0, highWater: seq });
    if (reason !== 'NEW') {
      this.#config.counters.inboundGaps++;
      this.#config.gap({
        stream,
        reason,
        epoch,
        seq,
        previousEpoch: previous?.epoch,
        previousSeq: previous?.handed,
      });
    }
    await this.#save();
  }

  async #handOff(envelopes: StreamMessageEnvelope[]): Promise<void> {
    for (const e of envelopes) {
      const position = this.#positionFor(e);
      position.highWater = Math.max(position.highWater, e.seq);
    }
    await this.#save(); // the high-water mark is durable before app code sees anything of the batch
    const { counters, deliver, ackMode } = this.#config;
    for (const e of envelopes) {
      const position = this.#positionFor(e);
      if (e.seq <= position.handed) {
        counters.inboundDuplicates++;
        continue;
      }
      const redelivered = e.seq <= position.redeliverUpTo;
      position.handed = e.seq;
      counters.inboundReceived++;
      if (redelivered) counters.inboundRedelivered++;
      const message: InboundMessage = {
        type: e.name,
        payload: e.payload,
        id: undefined,
        stream: e.stream,
        seq: e.seq,
        epoch: e.epoch,
        redelivered,
      };
      try {
        deliver(message);
      } catch (error) {
        this.#config.error(error as Error); // a throwing subscriber must not stop the stream
      }
      if (ackMode === 'auto') position.committed = e.seq;
    }
    // One commit point per stream of the batch, standing for its messages.
    if (ackMode === 'auto') this.#commitBatch(envelopes);
  }

  #commitBatch(envelopes: StreamMessageEnvelope[]): void {
    let n = 0;
    for (let i = 0; i < envelopes.length; i++) {
      const e = envelopes[i]!;
      n++;
      const next = envelopes[i + 1];
      if (next !== undefined && next.stream === e.stream && next.epoch === e.epoch) continue;
      this.#commits.next({
        stream: e.stream,
        epoch: e.epoch,
        seq: this.#positions.get(e.stream)!.committed,
        n,
      });
      n = 0;
    }
  }

  /** The position a message belongs to; a stream first seen in a message starts just before it. */
  #positionFor(e: StreamMessageEnvelope): Position {
    let position = this.#positions.get(e.stream);
    if (position === undefined || position.epoch !== e.epoch) {
      position = {
        epoch: e.epoch,
        handed: e.seq - 1,
        committed: e.seq - 1,
        redeliverUpTo: 0,
        highWater: e.seq - 1,
      };
      this.#positions.set(e.stream, position);
    }
    return position;
  }

  #save(): Promise<void> {
    if (!this.#config.persist) return RESOLVED;
    return this.#store.save().catch((error: unknown) => this.#config.error(error as Error));
  }

  #snapshot(): StoredCursors {
    const out: StoredCursors = {};
    for (const [stream, p] of this.#positions)
      out[stream] = { e: p.epoch, c: p.committed, h: Math.max(p.highWater, p.committed) };
    return out;
  }
}
