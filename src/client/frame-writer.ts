import type { WebSocketLike } from './client-options';

const OPEN = 1;

/**
 * Coalesces envelopes written in the same tick into one batched frame: a burst
 * of sends costs one `socket.send` and one frame header instead of one each.
 * Batches are split so no frame exceeds `maxFrameChars`.
 */
export class FrameWriter {
  private socket: WebSocketLike | undefined;
  private pending: string[] = [];
  private pendingChars = 0;
  private scheduled = false;
  private maxFrameChars = 512 * 1024;

  attach(socket: WebSocketLike, maxPayloadBytes: number): void {
    this.socket = socket;
    // Characters can be up to 3 bytes in UTF-8; stay well under the server's byte limit.
    this.maxFrameChars = Math.max(1024, Math.floor(maxPayloadBytes / 3));
  }

  /** Envelopes written while detached are dropped: the ack tracker resends them on resume. */
  detach(): void {
    this.socket = undefined;
    this.pending = [];
    this.pendingChars = 0;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && this.socket.readyState === OPEN;
  }

  /** Writes one encoded envelope in the next batch. */
  write(encodedEnvelope: string): void {
    if (!this.socket) return;
    if (this.pendingChars + encodedEnvelope.length > this.maxFrameChars) this.flush();
    this.pending.push(encodedEnvelope);
    this.pendingChars += encodedEnvelope.length + 1;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Writes one frame now, outside any batch (handshake, heartbeats). */
  writeNow(frame: string): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(frame);
    return true;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingChars = 0;
    if (!this.isOpen) return;
    this.socket!.send(batch.length === 1 ? batch[0]! : `[${batch.join(',')}]`);
  };
}
