import type { WebSocketLike } from './client-options';

const OPEN = 1;

/**
 * Coalesces envelopes written in the same tick into one batched frame: a burst
 * of sends costs one `socket.send` and one frame header instead of one each.
 * Batches are split so no frame exceeds `maxFrameChars`.
 *
 * The batch is a list of parts joined once when it is sent: an envelope given in
 * parts (`writeParts`) is copied into the frame directly, without first becoming
 * a string of its own.
 */
export class FrameWriter {
  #socket: WebSocketLike | undefined;
  /** Slot 0 is kept for the batch's '[' ('' while it holds one envelope); then envelopes, ',' between. */
  #parts: string[] = [''];
  #envelopes = 0;
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
    this.#reset();
  }

  /** Writes one encoded envelope in the next batch. */
  write(encodedEnvelope: string): void {
    if (this.#begin(encodedEnvelope.length)) this.#parts.push(encodedEnvelope);
  }

  /** Writes the envelope `a + b + c + d + e` in the next batch, without concatenating it first. */
  writeParts(a: string, b: string, c: string, d: string, e: string): void {
    if (!this.#begin(a.length + b.length + c.length + d.length + e.length)) return;
    this.#parts.push(a, b, c, d, e);
  }

  /** Makes room for an envelope of `chars` (flushing a batch it would overflow); false while detached. */
  #begin(chars: number): boolean {
    if (!this.#socket) return false;
    if (this.#pendingChars + chars > this.#maxFrameChars) this.#flush();
    if (this.#envelopes++ > 0) this.#parts.push(',');
    this.#pendingChars += chars + 1;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (!this.#envelopes) return;
    const parts = this.#parts;
    if (this.#envelopes > 1) {
      parts[0] = '[';
      parts.push(']');
    }
    const frame = parts.join('');
    this.#reset();
    const socket = this.#socket;
    if (socket?.readyState === OPEN) socket.send(frame);
  };

  #reset(): void {
    this.#parts = [''];
    this.#envelopes = 0;
    this.#pendingChars = 0;
  }
}
