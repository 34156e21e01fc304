import type { WebSocketLike } from './client-options';

const OPEN = 1;

/**
 * Coalesces envelopes written in the same tick into one batched frame: a burst
 * of sends costs one `socket.send` and one frame header instead of one each.
 * Batches are split so no frame exceeds `maxFrameChars`.
 */
export class FrameWriter {
  #socket: WebSocketLike | undefined;
  #pending: string[] = [];
  #pendingChars = 0;
  #scheduled = false;
  /** Set by `attach`; nothing is written before. */
  #maxFrameChars = 0;

  attach(socket: WebSocketLike, maxPayloadBytes: number): void {
    this.#socket = socket;
    // Characters can be up to 3 bytes in UTF-8; stay well under the server's byte limit.
    this.#maxFrameChars = Math.max(1024, Math.floor(maxPayloadBytes / 3));
  }

  /** Envelopes written while detached are dropped: the ack tracker resends them on resume. */
  detach(): void {
    this.#socket = undefined;
    this.#pending = [];
    this.#pendingChars = 0;
  }

  /** Writes one encoded envelope in the next batch. */
  write(encodedEnvelope: string): void {
    if (!this.#socket) return;
    if (this.#pendingChars + encodedEnvelope.length > this.#maxFrameChars) this.#flush();
    this.#pending.push(encodedEnvelope);
    this.#pendingChars += encodedEnvelope.length + 1;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const batch = this.#pending;
    const n = batch.length;
    if (!n) return;
    let frame: string;
    if (n === 1) frame = batch[0]!;
    else {
      // Brackets on the end elements: join then builds the flat frame in one copy, where
      // `[${join}]` is a rope the socket flattens with a second copy of the whole frame.
      batch[0] = `[${batch[0]!}`;
      batch[n - 1] += ']';
      frame = batch.join(',');
    }
    // The array is reused: a burst does not regrow one per batch.
    batch.length = 0;
    this.#pendingChars = 0;
    const socket = this.#socket;
    if (socket?.readyState === OPEN) socket.send(frame);
  };
}
