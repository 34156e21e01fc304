import { encodeFrame, MessageType, type Envelope } from '../protocol';
import { foldAckRuns, MAX_RUN_IDS_PER_FRAME } from '../protocol/ack-runs';
import { encodedAck } from './response-size';

/** What the batcher needs to know about its peer and its budget. */
export interface BatcherLimits {
  /** Largest frame the peer accepts, in bytes (its advertised inbound limit). */
  maxFrameBytes: number;
  /** Most bytes that may wait for this peer (queued here plus `buffered()`); past it `overBudget()` is called. */
  maxQueuedBytes: number;
  /** Bytes already handed to the socket and not yet taken by the peer. */
  buffered(): number;
  /** The output budget is exhausted: the connection must be cut (the batcher has already discarded its queue). */
  overBudget(): void;
  /** An envelope alone is bigger than the peer's frame limit: its replacement (a nack), or `undefined` to drop it. */
  tooLarge(envelope: Envelope, bytes: number): Envelope | undefined;
  /** Encoding or writing failed in a way that was contained; reported, never thrown. */
  failed(error: unknown): void;
}

/** `[`, `]` and the commas: a frame of n parts costs n + 1 bytes besides the parts. */
const ARRAY_OVERHEAD = 2;
/** `{"type":"ack","ids":[` + `]}`. */
const BARE_ACK_OVERHEAD = 24;
/**
 * Bare acks waiting past this many are written at once instead of at the end of the turn: in a
 * burst one turn can take in tens of thousands of messages, whose first acks would otherwise wait
 * for the last, and whose client would settle them all in one synchronous pass (a heap of results
 * alive at once). The turn's other answers go out with them, in the order `flush` writes them.
 */
export const MAX_BARE_ACKS_PER_WRITE = 1024;
/** Ids are at most 128 characters (the codec's rule), so at most 384 bytes; JSON escapes can add to that. */
const MAX_ID_BYTES = 128 * 6;

/**
 * Collects what one connection sends during a tick and writes it on
 * `setImmediate` (or as soon as {@link MAX_BARE_ACKS_PER_WRITE} bare acks wait): bare acks (no response) merge into `{ type: 'ack', ids }`,
 * several envelopes go out as a JSON array. Every envelope is encoded when it
 * is queued, so the bytes waiting for a peer are known at all times and are
 * bounded by `maxQueuedBytes`; frames are cut so none is bigger than the
 * peer's inbound limit. Nothing here throws: a failure is reported through
 * `limits.failed` and costs the envelope, never the process.
 */
export class OutgoingBatcher {
  private parts: string[] = [];
  private partBytes: number[] = [];
  private bareIds: string[] = [];
  private queuedBytes = 0;
  /** `limits.buffered()` as of the last write: read live only when the budget looks close. */
  private bufferedBytes = 0;
  private immediate: NodeJS.Immediate | undefined;
  /** Bumped by `discard()`: a flush in progress stops writing. */
  private generation = 0;
  /** Set when the peer's hello asked for ranged acks: a tick's bare acks may go out as `runs`. */
  ackRuns = false;

  /**
   * @param write Sends one text frame.
   * @param onEncodeError Told about an envelope that cannot be serialised (it is replaced by the result, if any).
   * @param limits The peer's frame limit and this connection's output budget.
   */
  constructor(
    private readonly write: (frame: string) => void,
    private readonly onEncodeError: (error: unknown, envelope: Envelope) => Envelope | undefined,
    readonly limits: BatcherLimits,
  ) {}

  get size(): number {
    return this.parts.length + (this.bareIds.length > 0 ? 1 : 0);
  }

  /** Bytes queued and not yet written. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Acknowledges `id` without a response; merged with the tick's other bare acks (written early once there are enough). */
  ack(id: string): void {
    this.bareIds.push(id);
    this.grow(id.length * 3 + 3);
    if (this.bareIds.length >= MAX_BARE_ACKS_PER_WRITE) this.flush();
    else this.schedule();
  }

  /** Acknowledges `id` with `response`, reusing the response's encoding when it was measured before. */
  ackWith(id: string, response: unknown, outcome: object): void {
    let text: string | undefined;
    try {
      text = encodedAck(id, response, outcome);
    } catch (error) {
      return this.push({ type: MessageType.ACK, id, response } as Envelope, error);
    }
    this.queueText(text, { type: MessageType.ACK, id, response });
  }

  push(envelope: Envelope, knownError?: unknown): void {
    let text: string;
    try {
      if (knownError !== undefined) throw knownError;
      text = encodeFrame(envelope);
    } catch (error) {
      // A handler returned something JSON cannot carry (BigInt, a cycle), or the string would be too long.
      const replacement = this.safely(() => this.onEncodeError(error, envelope));
      if (replacement === undefined) return;
      try {
        text = encodeFrame(replacement);
      } catch (again) {
        return this.limits.failed(again);
      }
    }
    this.queueText(text, envelope);
  }

  /** Queues `envelope` already encoded as `text` (its JSON); sized and cut like any other. */
  pushEncoded(text: string, envelope: Envelope): void {
    this.queueText(text, envelope);
  }

  /** Writes everything queued now (used before a close so replies precede the close frame). */
  readonly flush = (): void => {
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    try {
      this.writeAll();
    } catch (error) {
      this.limits.failed(error);
    }
  };

  /** Drops whatever is queued (the socket is gone, or the peer is being cut). */
  discard(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.generation++;
    this.parts = [];
    this.partBytes = [];
    this.bareIds = [];
    this.queuedBytes = 0;
  }

  private queueText(text: string, envelope: Envelope): void {
    // Up to 3 bytes a character: a short text is sized by that bound, a long one exactly.
    let bytes =
      text.length * 3 <= this.limits.maxFrameBytes >>> 4 ? text.length * 3 : Buffer.byteLength(text);
    if (bytes > this.limits.maxFrameBytes) {
      const replacement = this.safely(() => this.limits.tooLarge(envelope, bytes));
      if (replacement === undefined) return;
      try {
        text = encodeFrame(replacement);
      } catch (error) {
        return this.limits.failed(error);
      }
      bytes = Buffer.byteLength(text);
    }
    this.parts.push(text);
    this.partBytes.push(bytes);
    this.grow(bytes + 1);
    this.schedule();
  }

  private grow(bytes: number): void {
    this.queuedBytes += bytes;
    const max = this.limits.maxQueuedBytes;
    if (this.queuedBytes + this.bufferedBytes <= max) return;
    this.bufferedBytes = this.limits.buffered();
    if (this.queuedBytes + this.bufferedBytes > max) {
      this.discard();
      this.limits.overBudget();
    }
  }

  private schedule(): void {
    this.immediate ??= setImmediate(this.flush);
  }

  private writeAll(): void {
    const generation = this.generation;
    const parts = this.parts;
    const sizes = this.partBytes;
    const ids = this.bareIds;
    this.parts = [];
    this.partBytes = [];
    this.bareIds = [];
    this.queuedBytes = 0;
    if (ids.length > 0) this.bareAcks(ids, parts, sizes);
    const max = this.limits.maxFrameBytes;
    let start = 0;
    let bytes = ARRAY_OVERHEAD;
    for (let i = 0; i < parts.length; i++) {
      const next = sizes[i]! + 1;
      if (i > start && bytes + next > max) {
        if (!this.emit(parts, start, i, generation)) return;
        start = i;
        bytes = ARRAY_OVERHEAD;
      }
      bytes += next;
    }
    if (start < parts.length) this.emit(parts, start, parts.length, generation);
    if (generation === this.generation) this.bufferedBytes = this.limits.buffered();
  }

  /** Turns the tick's bare acks into as few `{ type: 'ack', ids }` parts as the frame limit allows. */
  private bareAcks(ids: string[], parts: string[], sizes: number[]): void {
    const max = this.limits.maxFrameBytes - ARRAY_OVERHEAD - BARE_ACK_OVERHEAD;
    if (ids.length * (MAX_ID_BYTES + 3) <= max) {
      // The usual case: every id fits in one ack whatever its characters.
      const folded = this.ackRuns && ids.length <= MAX_RUN_IDS_PER_FRAME ? foldAckRuns(ids) : undefined;
      if (folded !== undefined) {
        // The runs, then the ids that fold into none as a plain ack (two parts: two envelopes of the frame).
        const text = encodeFrame({ type: MessageType.ACK, runs: folded.runs });
        parts.unshift(text);
        sizes.unshift(text.length * 3);
        if (folded.singles.length === 0) return;
        ids = folded.singles;
      }
      const text =
        ids.length === 1
          ? encodeFrame({ type: MessageType.ACK, id: ids[0]! })
          : encodeFrame({ type: MessageType.ACK, ids });
      parts.unshift(text);
      sizes.unshift(ids.length * (MAX_ID_BYTES + 3) + BARE_ACK_OVERHEAD);
      return;
    }
    let chunk: string[] = [];
    let bytes = 0;
    const close = (): void => {
      const text =
        chunk.length === 1
          ? encodeFrame({ type: MessageType.ACK, id: chunk[0]! })
          : encodeFrame({ type: MessageType.ACK, ids: chunk });
      parts.unshift(text);
      sizes.unshift(Buffer.byteLength(text));
    };
    for (const id of ids) {
      const next = Buffer.byteLength(JSON.stringify(id)) + 1;
      if (chunk.length > 0 && bytes + next > max) {
        close();
        chunk = [];
        bytes = 0;
      }
      chunk.push(id);
      bytes += next;
    }
    if (chunk.length > 0) close();
  }

  /** Writes parts[from, to) as one frame; false when the batcher was discarded meanwhile. */
  private emit(parts: string[], from: number, to: number, generation: number): boolean {
    if (generation !== this.generation) return false;
    const frame = to - from === 1 ? parts[from]! : `[${parts.slice(from, to).join(',')}]`;
    try {
      this.write(frame);
    } catch (error) {
      this.limits.failed(error);
    }
    return generation === this.generation;
  }

  private safely<T>(fn: () => T | undefined): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.limits.failed(error);
      return undefined;
    }
  }
}
