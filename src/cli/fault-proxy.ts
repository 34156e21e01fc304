import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FaultLink } from './fault-link';
import type { FaultDirection, FaultSettings } from './fault-pipe';
import { seededRandom } from './seeded-random';

export type { FaultDirection } from './fault-pipe';

/** Options of {@link FaultProxy}. */
export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded. */
  target: { host: string; port: number };
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Seed of {@link FaultProxy.random} and of latency jitter. @default a random seed, readable as `proxy.seed` */
  seed?: number;
}

/** Counters of a {@link FaultProxy}; `bytesUp`/`bytesDown` count bytes actually forwarded. */
export interface FaultProxyStats {
  connections: number;
  live: number;
  resets: number;
  bytesUp: number;
  bytesDown: number;
  bytesDropped: number;
}

/**
 * A fault-injection TCP proxy for 127.0.0.1: put it between a client and a
 * server and it resets, black-holes, delays, throttles, slices and cuts the
 * link on demand, for live links and new ones alike. Node only.
 *
 * Faults act on the byte stream, not on WebSocket frames: dropped bytes leave
 * the stream misaligned, which is what a real peer sees after a broken path.
 *
 * ## Example
 * ```ts
 * const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 7 });
 * await proxy.listen();
 * const client = new ReliableWebSocketClient(proxy.url);
 * proxy.resetAll(); // the client sees ECONNRESET and reconnects through the proxy
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  /** The seed in use, so a failing random schedule can be replayed. */
  readonly seed: number;
  private readonly server: net.Server;
  private readonly links = new Set<FaultLink>();
  private readonly settings: FaultSettings;
  private readonly counters = { connections: 0, resets: 0, bytesUp: 0, bytesDown: 0, bytesDropped: 0 };
  private readonly nextRandom: () => number;
  private boundPort: number | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: FaultProxyOptions) {
    const target = options?.target;
    if (!target || typeof target.host !== 'string' || !Number.isInteger(target.port) || target.port <= 0) {
      throw new TypeError(
        `FaultProxy: option "target" must be { host, port } with a port > 0, got ${JSON.stringify(target)}`,
      );
    }
    if (options.seed !== undefined && !Number.isFinite(options.seed)) {
      throw new TypeError(`FaultProxy: option "seed" must be a finite number, got ${options.seed}`);
    }
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.nextRandom = seededRandom(this.seed);
    this.settings = {
      blackhole: false,
      latencyMs: 0,
      jitterMs: 0,
      bytesPerSecond: undefined,
      sliceSize: undefined,
      drop: { upstream: false, downstream: false },
      cutAfter: { upstream: undefined, downstream: undefined },
      holdClose: false,
      // Its own stream, so jitter does not shift the caller's random() schedule.
      jitterRandom: seededRandom(this.seed ^ 0x5bd1e995),
    };
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve({ port: this.boundPort });
      });
    });
  }

  /** Destroys every link and stops listening. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const link of this.links) link.drop();
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  /** The bound port; throws before {@link listen} resolved. */
  get port(): number {
    if (this.boundPort === undefined)
      throw new Error('FaultProxy: not listening yet; await proxy.listen() first');
    return this.boundPort;
  }

  /** `ws://host:port` of the proxy, for a WebSocket client. */
  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `ws://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  /** A snapshot of the counters. */
  get stats(): FaultProxyStats {
    return { ...this.counters, live: this.links.size };
  }

  /** Whether the link is black-holed right now. */
  get blackholed(): boolean {
    return this.settings.blackhole;
  }

  /** The next number in `[0, 1)` of the seeded sequence, for callers' random schedules. */
  random(): number {
    return this.nextRandom();
  }

  /** Aborts every live link with a TCP RST: both peers see ECONNRESET. */
  resetAll(): void {
    for (const link of this.links) {
      link.reset();
      this.counters.resets += 1;
    }
  }

  /** Closes every live link the ordinary way (FIN, or RST where the kernel has unread bytes). */
  dropAll(): void {
    for (const link of this.links) link.drop();
  }

  /**
   * Stops forwarding both ways without closing anything; new connections are
   * accepted and black-holed too. Bytes in flight or arriving meanwhile are
   * dropped, not delivered when forwarding resumes.
   */
  blackhole(on: boolean): void {
    this.settings.blackhole = on;
    if (on) for (const link of this.links) link.discardQueued();
  }

  /** Delays every chunk by `ms` plus up to `jitterMs` (seeded), keeping byte order. */
  setLatency(ms: number, jitterMs = 0): void {
    assertNonNegative('ms', ms);
    assertNonNegative('jitterMs', jitterMs);
    this.settings.latencyMs = ms;
    this.settings.jitterMs = jitterMs;
  }

  /** Caps each direction of each link at `bytesPerSecond`; `undefined` lifts the cap. */
  setBandwidth(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined && !(bytesPerSecond > 0 && Number.isFinite(bytesPerSecond))) {
      throw new TypeError(
        `FaultProxy: "bytesPerSecond" must be a positive number or undefined, got ${bytesPerSecond}`,
      );
    }
    this.settings.bytesPerSecond = bytesPerSecond;
  }

  /** Writes at most `bytes` per TCP segment, one per event-loop turn; `undefined` stops slicing. */
  setSliceSize(bytes: number | undefined): void {
    if (bytes !== undefined && !(Number.isInteger(bytes) && bytes >= 1)) {
      throw new TypeError(
        `FaultProxy: "bytes" (slice size) must be an integer >= 1 or undefined, got ${bytes}`,
      );
    }
    this.settings.sliceSize = bytes;
  }

  /**
   * Lets `bytes` more bytes through in `direction` (across all links), then
   * resets the link that carried the last of them. One-shot; `undefined` disarms.
   * The sender sees ECONNRESET; the receiver gets the bytes, then ECONNRESET or,
   * when the RST lands behind bytes it has not read yet, end-of-stream (Linux).
   */
  cutAfterBytes(direction: FaultDirection, bytes: number | undefined): void {
    assertDirection(direction);
    if (bytes !== undefined) assertNonNegative('bytes', bytes);
    this.settings.cutAfter[direction] = bytes;
  }

  /** Silently discards everything travelling in `direction` while on (e.g. acks lost on the way back). */
  dropDirection(direction: FaultDirection, on: boolean): void {
    assertDirection(direction);
    this.settings.drop[direction] = on;
  }

  /** While on, a close or reset on one side is not passed on: the other side stays open, half-open. */
  holdClose(on: boolean): void {
    this.settings.holdClose = on;
  }

  private accept(client: net.Socket): void {
    if (this.closing) return void client.destroy();
    this.counters.connections += 1;
    const { host, port } = this.options.target;
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const link = new FaultLink(client, upstream, this.settings, {
      forwarded: (direction, bytes) => {
        if (direction === 'upstream') this.counters.bytesUp += bytes;
        else this.counters.bytesDown += bytes;
      },
      dropped: (bytes) => {
        this.counters.bytesDropped += bytes;
      },
      reset: () => {
        this.counters.resets += 1;
      },
      closed: () => {
        this.links.delete(link);
      },
    });
    this.links.add(link);
  }
}

function assertNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`FaultProxy: "${name}" must be a finite number >= 0, got ${value}`);
  }
}

function assertDirection(direction: string): void {
  if (direction !== 'upstream' && direction !== 'downstream') {
    throw new TypeError(
      `FaultProxy: "direction" must be 'upstream' or 'downstream', got ${JSON.stringify(direction)}`,
    );
  }
}
