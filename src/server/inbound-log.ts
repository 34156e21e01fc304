import type { MaybePromise } from './dedupe-store';

/**
 * The port for reliable server → client streams (DESIGN §6). The server core
 * speaks only to this interface; memory, file and Redis logs implement it and
 * pass one contract suite (`describeInboundLog`).
 *
 * A stream position is `{ epoch, seq }` (as Centrifugo's offset + epoch): `seq`
 * rises by 1 per record of a stream, starting at 1; `epoch` names one life of
 * the stream's log and changes when the log lost its history (a memory log
 * after a restart, a Redis flush), so a cursor from another epoch is never
 * resumed as if nothing happened.
 */
export interface InboundRecord {
  readonly stream: string;
  readonly seq: number;
  readonly name: string;
  readonly payload?: unknown;
  /** When the log took it (epoch ms), for `maxAgeMs`. */
  readonly ts: number;
}

export interface StreamPosition {
  readonly epoch: string;
  /** Seq of the newest record, 0 for a stream that never had one. */
  readonly lastSeq: number;
}

/** Why a cursor cannot be resumed; stable codes, listed in docs/protocol.md. */
export type InboundGapReason = 'WINDOW_EXCEEDED' | 'EPOCH_CHANGED' | 'UNKNOWN_STREAM' | 'CURSOR_AHEAD';

export interface InboundReadResult extends StreamPosition {
  /** Seq of the oldest record still held (lastSeq + 1 when none is held). */
  readonly firstSeq: number;
  /** Records with seq > afterSeq, ascending and contiguous, at most `limit` of them. */
  readonly records: readonly InboundRecord[];
}

export interface InboundRetention {
  /** Records kept per stream. @default 10000 */
  readonly maxMessages: number;
  /** Records older than this are dropped. @default the server's dedupeTtl */
  readonly maxAgeMs: number;
}

export interface InboundLog {
  /** Appends one record; resolves once the log holds it (durably, for a durable log); rejects when it cannot. */
  append(stream: string, name: string, payload: unknown, now: number): MaybePromise<InboundRecord>;
  /** Records after `afterSeq` (exclusive), with the stream's epoch and bounds. */
  read(stream: string, afterSeq: number, limit: number): MaybePromise<InboundReadResult>;
  /** The stream's epoch and newest seq. */
  position(stream: string): MaybePromise<StreamPosition>;
  /**
   * Calls `listener` for every record appended from now on, by this node or
   * (for a shared log) by any other; returns the unsubscribe. Records of one
   * stream arrive in seq order.
   */
  watch(listener: (record: InboundRecord) => void): () => void;
  /** Drops records past the retention at `now`; returns how many. Called from one server timer. */
  trim(now: number): MaybePromise<number>;
  /** Resolves once the log can answer (a durable one has loaded). */
  readonly ready?: PromiseLike<void>;
  /** Releases files and connections. */
  close?(): MaybePromise<void>;
}
