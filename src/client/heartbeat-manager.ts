import { Subject, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { heartbeat$, type HeartbeatOperatorConfig } from '../operators/heartbeat';

/** The seed's HeartbeatConfig. */
export interface HeartbeatConfig {
  /** Ping interval, ms. */
  interval: number;
  /** Time a ping may go unanswered before it counts as missed, ms. */
  timeout: number;
  /** Consecutive misses that declare the connection lost. */
  maxMissed: number;
}

/** The seed's heartbeat callbacks. */
export interface HeartbeatCallbacks {
  onPing?: () => void;
  onPong?: (latencyMs: number) => void;
  /** Every miss, with the consecutive count 1, 2, ... */
  onTimeout?: (missedCount: number) => void;
  /** Once, when the count reaches `maxMissed`; the manager stops itself. */
  onConnectionLost?: () => void;
}

/**
 * The seed's imperative heartbeat API, a view of the `heartbeat$` operator
 * (the client uses the operator directly).
 *
 * ## Example
 * ```ts
 * const manager = new HeartbeatManager({ interval: 5000, timeout: 3000, maxMissed: 3 }, {
 *   onConnectionLost: () => socket.close(),
 * });
 * manager.start(() => socket.send('{"type":"heartbeat","ts":0}'));
 * socket.onmessage = () => manager.handlePong();
 * ```
 */
export class HeartbeatManager {
  readonly #pongs$ = new Subject<number | void>();
  /** The validated config (a snapshot) with the scheduler. */
  readonly #config: HeartbeatOperatorConfig;
  readonly #callbacks: HeartbeatCallbacks;
  #subscription: Subscription | undefined;

  constructor(
    config: HeartbeatConfig,
    callbacks: HeartbeatCallbacks = {},
    scheduler: SchedulerLike = asyncScheduler,
  ) {
    this.#config = { ...config, scheduler };
    this.#callbacks = callbacks;
    // Validate now: the operator throws a TypeError naming the bad option.
    heartbeat$(this.#pongs$, this.#config);
  }

  get running(): boolean {
    return this.#subscription?.closed === false;
  }

  /** Pings at once and every `interval`, calling `sendPing` each time. Restarts if already running. */
  start(sendPing: () => void): void {
    this.stop();
    const callbacks = this.#callbacks;
    this.#subscription = heartbeat$(this.#pongs$, this.#config).subscribe({
      next: (event) => {
        if (event.kind === 'ping') {
          callbacks.onPing?.();
          sendPing();
        } else if (event.kind === 'pong') callbacks.onPong?.(event.latency);
        else callbacks.onTimeout?.(event.missed);
      },
      error: () => {
        this.#subscription = undefined;
        callbacks.onConnectionLost?.();
      },
    });
  }

  /** Call on every pong (optionally with the echoed ping timestamp, for an exact latency). */
  handlePong(echoedTimestamp?: number): void {
    this.#pongs$.next(echoedTimestamp);
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }
}
