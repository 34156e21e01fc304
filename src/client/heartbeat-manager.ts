import { Subject, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { heartbeat$ } from '../operators/heartbeat';

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
  private pongs$ = new Subject<number | void>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly config: HeartbeatConfig,
    private readonly callbacks: HeartbeatCallbacks = {},
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {
    // Validate now: the operator throws a TypeError naming the bad option.
    heartbeat$(this.pongs$, { ...config, scheduler });
  }

  get running(): boolean {
    return this.subscription !== undefined && !this.subscription.closed;
  }

  /** Pings at once and every `interval`, calling `sendPing` each time. Restarts if already running. */
  start(sendPing: () => void): void {
    this.stop();
    this.pongs$ = new Subject<number | void>();
    this.subscription = heartbeat$(this.pongs$, { ...this.config, scheduler: this.scheduler }).subscribe({
      next: (event) => {
        if (event.kind === 'ping') {
          this.callbacks.onPing?.();
          sendPing();
        } else if (event.kind === 'pong') this.callbacks.onPong?.(event.latency);
        else this.callbacks.onTimeout?.(event.missed);
      },
      error: () => {
        this.subscription = undefined;
        this.callbacks.onConnectionLost?.();
      },
    });
  }

  /** Call on every pong (optionally with the echoed ping timestamp, for an exact latency). */
  handlePong(echoedTimestamp?: number): void {
    this.pongs$.next(echoedTimestamp);
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
