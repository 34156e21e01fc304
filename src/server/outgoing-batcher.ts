import { encodeFrame, MessageType, type AckEnvelope, type Envelope } from '../protocol';

/**
 * Collects what one connection sends during a tick and writes it as one
 * frame on `setImmediate`: bare acks (no response) merge into a single
 * `{ type: 'ack', ids }`, and several envelopes go out as a JSON array.
 * Handlers that finish in the same tick therefore cost one write, not one each.
 */
export class OutgoingBatcher {
  private queue: Envelope[] = [];
  /** The tick's shared bare ack, already in `queue`, grown in place. */
  private bareAck: { type: MessageType.ACK; id?: string; ids: string[] } | undefined;
  private immediate: NodeJS.Immediate | undefined;

  /**
   * @param write Sends one text frame.
   * @param onEncodeError Told about an envelope that cannot be serialised (it is replaced by `fallback(envelope)`).
   */
  constructor(
    private readonly write: (frame: string) => void,
    private readonly onEncodeError: (error: unknown, envelope: Envelope) => Envelope | undefined,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  /** Acknowledges `id` without a response; merged with the tick's other bare acks. */
  ack(id: string): void {
    if (this.bareAck === undefined) {
      this.bareAck = { type: MessageType.ACK, ids: [id] };
      this.push(this.bareAck as AckEnvelope);
    } else {
      this.bareAck.ids.push(id);
    }
  }

  push(envelope: Envelope): void {
    this.queue.push(envelope);
    this.immediate ??= setImmediate(this.flush);
  }

  /** Writes everything queued now (used before a close so replies precede the close frame). */
  readonly flush = (): void => {
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    if (this.bareAck !== undefined) {
      const ack = this.bareAck;
      this.bareAck = undefined;
      if (ack.ids.length === 1) {
        ack.id = ack.ids[0];
        delete (ack as Partial<typeof ack>).ids;
      }
    }
    const frame = this.encode(batch);
    if (frame !== undefined) this.write(frame);
  };

  /** Drops whatever is queued (the socket is gone). */
  discard(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.queue = [];
    this.bareAck = undefined;
  }

  private encode(batch: Envelope[]): string | undefined {
    try {
      return encodeFrame(batch.length === 1 ? batch[0]! : batch);
    } catch {
      // Rare path: a handler returned something JSON cannot carry (BigInt, a cycle).
      // Encode one by one so the others still go out.
      const good: Envelope[] = [];
      for (const envelope of batch) {
        try {
          encodeFrame(envelope);
          good.push(envelope);
        } catch (error) {
          const replacement = this.onEncodeError(error, envelope);
          if (replacement !== undefined) good.push(replacement);
        }
      }
      return good.length === 0 ? undefined : encodeFrame(good.length === 1 ? good[0]! : good);
    }
  }
}
