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
    if (!batch.length) return;
    this.#pending = [];
    this.#pendingChars = 0;
    const socket = this.#socket;
    if (socket?.readyState === OPEN) socket.send(batch.length === 1 ? batch[0]! : `[${batch.join(',')}]`);
  };
}
