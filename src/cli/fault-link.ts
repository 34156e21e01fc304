import type { Socket } from 'node:net';
import { FaultPipe, type FaultPipeHooks, type FaultSettings } from './fault-pipe';

/** @internal */
export interface FaultLinkHooks extends Omit<FaultPipeHooks, 'cut'> {
  /** The link reset itself (a byte cut fired). */
  reset(): void;
  /** Both sockets are gone. */
  closed(): void;
}

/**
 * One proxied connection: the socket accepted from the client and the one
 * opened to the target, joined by a pipe each way. Closing and resetting are
 * propagated from one side to the other unless `holdClose` is on, which is how
 * a half-open connection (one peer gone, the other never told) is simulated.
 * @internal
 */
export class FaultLink {
  readonly pipes: readonly [FaultPipe, FaultPipe];
  private open = 2;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly settings: FaultSettings,
    private readonly hooks: FaultLinkHooks,
  ) {
    const pipeHooks: FaultPipeHooks = {
      forwarded: hooks.forwarded,
      dropped: hooks.dropped,
      cut: () => {
        this.reset();
        hooks.reset();
      },
    };
    this.pipes = [
      new FaultPipe(client, upstream, 'upstream', settings, pipeHooks),
      new FaultPipe(upstream, client, 'downstream', settings, pipeHooks),
    ];
    this.watch(client, upstream);
    this.watch(upstream, client);
  }

  get alive(): boolean {
    return this.open > 0;
  }

  /** Abort both sides with a TCP RST (ECONNRESET at each peer). */
  reset(): void {
    for (const socket of [this.client, this.upstream]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
  }

  /** Close both sides the ordinary way (FIN where the kernel can). */
  drop(): void {
    for (const socket of [this.client, this.upstream]) socket.destroy();
  }

  /** Discard whatever is waiting in either direction. */
  discardQueued(): void {
    for (const pipe of this.pipes) pipe.discardQueued();
  }

  private watch(socket: Socket, other: Socket): void {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.settings.holdClose || other.destroyed) return;
      // A reset (or a refused target) travels on as a reset, anything else as a close.
      if (error.code === 'ECONNRESET' || error.code === 'ECONNREFUSED') other.resetAndDestroy();
      else other.destroy();
    });
    socket.on('close', () => {
      this.open -= 1;
      // An already-ended other side is flushing its last bytes: let it finish.
      if (!this.settings.holdClose && !other.destroyed && !other.writableEnded) other.destroy();
      if (this.open === 0) {
        for (const pipe of this.pipes) pipe.dispose();
        this.hooks.closed();
      }
    });
  }
}
