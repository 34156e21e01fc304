import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Which way bytes travel through the proxy: client to target is `upstream`. */
export type FaultDirection = 'upstream' | 'downstream';

/**
 * The proxy's live fault settings, shared by reference with every pipe so a
 * change applies to links already open, not only to new ones.
 * @internal
 */
export interface FaultSettings {
  blackhole: boolean;
  latencyMs: number;
  jitterMs: number;
  bytesPerSecond: number | undefined;
  sliceSize: number | undefined;
  drop: Record<FaultDirection, boolean>;
  /** Bytes still allowed through before a one-shot RST, per direction. */
  cutAfter: Record<FaultDirection, number | undefined>;
  holdClose: boolean;
  jitterRandom: () => number;
}

/** @internal */
export interface FaultPipeHooks {
  forwarded(direction: FaultDirection, bytes: number): void;
  dropped(bytes: number): void;
  /** The cut point was written: reset the whole link. */
  cut(): void;
}

interface Pending {
  at: number;
  chunk: Buffer;
  resetAfter: boolean;
}

/** Above this many bytes waiting (ours plus the socket's), reading pauses. */
const HIGH_WATER = 1 << 20;
/** With a bandwidth cap, chunks are paced in pieces of about 10 ms of traffic. */
const PACE_PIECES_PER_SECOND = 100;

/**
 * One direction of a proxied link: applies drop, cut, latency (order kept),
 * bandwidth and slicing to the bytes read from `from` before writing them to
 * `to`, with backpressure so a slow or capped link cannot buffer unboundedly.
 * @internal
 */
export class FaultPipe {
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private wireFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private ended = false;
  private cutDone = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    readonly direction: FaultDirection,
    private readonly settings: FaultSettings,
    private readonly hooks: FaultPipeHooks,
  ) {
    from.on('data', (chunk: Buffer) => this.onData(chunk));
    from.on('end', () => this.onEnd());
    to.on('drain', () => this.updateFlow());
  }

  /** Forget everything waiting: a black hole loses what was in flight too. */
  discardQueued(): void {
    if (this.queuedBytes > 0) this.hooks.dropped(this.queuedBytes);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.lastAt = 0;
    this.wireFreeAt = 0;
    this.clearTimers();
    this.updateFlow();
    if (this.ended) this.propagateEnd();
  }

  dispose(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.clearTimers();
  }

  private onData(chunk: Buffer): void {
    const { settings } = this;
    if (this.cutDone || settings.blackhole || settings.drop[this.direction]) {
      this.hooks.dropped(chunk.length);
      return;
    }
    let resetAfter = false;
    const budget = settings.cutAfter[this.direction];
    if (budget !== undefined) {
      if (chunk.length >= budget) {
        settings.cutAfter[this.direction] = undefined;
        if (chunk.length > budget) this.hooks.dropped(chunk.length - budget);
        chunk = chunk.subarray(0, budget);
        resetAfter = true;
        this.cutDone = true;
      } else {
        settings.cutAfter[this.direction] = budget - chunk.length;
      }
    }
    const shaped =
      settings.latencyMs > 0 || settings.jitterMs > 0 || settings.bytesPerSecond || settings.sliceSize;
    if (!shaped && this.queue.length === 0 && !resetAfter) {
      this.write(chunk, false);
      return;
    }
    this.enqueue(chunk, resetAfter);
    this.pump();
  }

  private enqueue(chunk: Buffer, resetAfter: boolean): void {
    const { settings } = this;
    const now = performance.now();
    const delay = settings.latencyMs + settings.jitterMs * settings.jitterRandom();
    // Never before the previous chunk: jitter must not reorder a TCP stream.
    const at = Math.max(now + delay, this.lastAt);
    this.lastAt = at;
    const bps = settings.bytesPerSecond;
    let piece = settings.sliceSize ?? chunk.length;
    if (bps) piece = Math.min(piece, Math.max(1, Math.floor(bps / PACE_PIECES_PER_SECOND)));
    piece = Math.max(1, piece);
    let offset = 0;
    do {
      const part = chunk.subarray(offset, offset + piece);
      offset += piece;
      let partAt = at;
      if (bps) {
        partAt = Math.max(at, this.wireFreeAt);
        this.wireFreeAt = partAt + (part.length * 1000) / bps;
        this.lastAt = Math.max(this.lastAt, partAt);
      }
      this.queue.push({ at: partAt, chunk: part, resetAfter: resetAfter && offset >= chunk.length });
      this.queuedBytes += part.length;
    } while (offset < chunk.length);
    this.updateFlow();
  }

  private pump(): void {
    if (this.timer || this.immediate) return;
    const now = performance.now();
    const head = this.queue[0];
    if (!head) {
      if (this.ended) this.propagateEnd();
      return;
    }
    if (head.at > now) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.ceil(head.at - now),
      );
      this.timer.unref();
      return;
    }
    this.queue.shift();
    this.queuedBytes -= head.chunk.length;
    this.write(head.chunk, head.resetAfter);
    this.updateFlow();
    // A separate tick per piece keeps slices from being coalesced into one write.
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.pump();
    });
    this.immediate.unref();
  }

  private write(chunk: Buffer, resetAfter: boolean): void {
    const { to } = this;
    if (to.destroyed || !to.writable) {
      this.hooks.dropped(chunk.length);
      return;
    }
    if (chunk.length === 0) {
      if (resetAfter) this.hooks.cut();
      return;
    }
    this.hooks.forwarded(this.direction, chunk.length);
    // The RST waits until the last allowed byte is handed to the kernel.
    if (resetAfter) to.write(chunk, () => this.hooks.cut());
    else to.write(chunk);
    if (to.writableLength > HIGH_WATER) this.updateFlow();
  }

  private onEnd(): void {
    this.ended = true;
    if (this.queue.length === 0) this.propagateEnd();
  }

  private propagateEnd(): void {
    if (this.settings.holdClose || this.to.destroyed || this.to.writableEnded) return;
    this.to.end();
  }

  private updateFlow(): void {
    const waiting = this.queuedBytes + this.to.writableLength;
    if (waiting > HIGH_WATER) {
      if (!this.from.isPaused()) this.from.pause();
    } else if (waiting < HIGH_WATER / 2 && this.from.isPaused() && !this.from.destroyed) {
      this.from.resume();
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
