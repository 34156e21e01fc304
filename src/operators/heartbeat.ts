import { asyncScheduler, isObservable, Observable } from 'rxjs';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { HeartbeatTimeoutError } from '../protocol/errors';
import { checkPositive, invalidOption } from '../protocol/option-checks';

/** Options of {@link heartbeat$}. */
export interface HeartbeatOperatorConfig {
  /** Ms between pings, counted from when the previous ping was actually sent. */
  interval: number;
  /** Ms a ping may stay unanswered before it counts as a miss. May exceed `interval`. */
  timeout: number;
  /** Consecutive misses that declare the link dead (an integer >= 1). */
  maxMissed: number;
  /** Clock and timers. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** What {@link heartbeat$} reports. */
export type HeartbeatEvent =
  { kind: 'ping'; sentAt: number } | { kind: 'pong'; latency: number } | { kind: 'miss'; missed: number };

/**
 * Drives a ping/pong heartbeat and judges the answers. It emits `ping` on
 * subscribe and every `interval` ms (the subscriber writes the ping frame);
 * a ping still unanswered `timeout` ms after it was sent emits `miss` with the
 * consecutive count n = 1, 2, ...; at n = `maxMissed` it emits that miss, then
 * errors with `HeartbeatTimeoutError(n, elapsedMs)`. Any value of `pongs$`
 * answers every outstanding ping, resets n and emits `pong` with the latency:
 * `now - value` for a number (the echoed ping timestamp), else `now - last ping`.
 *
 * A dead link is thus reported exactly `(maxMissed - 1) * interval + timeout`
 * ms after its first unanswered ping.
 *
 * ```
 * interval 4, timeout 2, maxMissed 2     p: ping, P: pong, m: miss (n = 1, 2), #: HeartbeatTimeoutError
 * pongs$:   -x--------
 * result:   pP--p-m-p-(m#)
 * ```
 *
 * Time is judged by elapsed clock, not by timer callbacks: a ping's deadline
 * runs from `scheduler.now()` when it was really sent, and a check that runs
 * before `timeout` ms have elapsed re-arms for the rest instead of counting a
 * miss. Browsers throttle timers of hidden tabs (to once a minute and worse)
 * and clocks can disagree with timer queues, so a callback's arrival proves
 * nothing about how long the peer has had to answer.
 *
 * Completion of `pongs$` does not stop the heartbeat (silence then times
 * out); its error is propagated. Unsubscribing cancels every timer. Invalid
 * options throw a `TypeError` at call time.
 *
 * ## Example
 * ```ts
 * const pongs$ = new Subject<number | void>();
 * heartbeat$(pongs$, { interval: 5000, timeout: 3000, maxMissed: 3 }).subscribe({
 *   next: (e) => (e.kind === 'ping' ? socket.send(JSON.stringify({ type: 'heartbeat', ts: e.sentAt })) : console.log(e)),
 *   error: (e) => console.log(e.code),
 * });
 * socket.onmessage = (m) => pongs$.next(JSON.parse(m.data).ts); // the server echoes ts
 * // Output (server answers in 12 ms, then goes silent):
 * // { kind: 'pong', latency: 12 }
 * // { kind: 'miss', missed: 1 }
 * // { kind: 'miss', missed: 2 }
 * // { kind: 'miss', missed: 3 }
 * // HEARTBEAT_TIMEOUT
 * ```
 */
export function heartbeat$(
  pongs$: Observable<number | void>,
  config: HeartbeatOperatorConfig,
): Observable<HeartbeatEvent> {
  if (!isObservable(pongs$)) throw invalidOption('pongs$', 'an Observable', pongs$);
  const { interval, timeout, maxMissed, scheduler = asyncScheduler } = config;
  checkPositive('interval', interval);
  checkPositive('timeout', timeout);
  if (!(Number.isInteger(maxMissed) && maxMissed > 0))
    throw invalidOption('maxMissed', 'a whole number >= 1', maxMissed);

  return new Observable<HeartbeatEvent>((subscriber) => {
    // The deadline checks of unanswered pings, oldest first.
    const checks = new Set<Subscription>();
    let missed = 0;
    let streakStart = 0;
    let lastPingAt = scheduler.now();

    const clearChecks = (): void => {
      for (const check of checks) check.unsubscribe();
      checks.clear();
    };

    const sendPing = (): void => {
      const sentAt = (lastPingAt = scheduler.now());
      // Armed before emitting: a pong fed synchronously by the ping's writer must find it.
      const check = scheduler.schedule(function (this: SchedulerAction<unknown>) {
        if (!checks.has(check)) return;
        const now = scheduler.now();
        if (now - sentAt < timeout) return this.schedule(undefined, timeout - (now - sentAt));
        checks.delete(check);
        if (++missed === 1) streakStart = sentAt;
        subscriber.next({ kind: 'miss', missed });
        if (missed >= maxMissed) subscriber.error(new HeartbeatTimeoutError(missed, now - streakStart));
      }, timeout);
      checks.add(check);
      subscriber.next({ kind: 'ping', sentAt });
    };

    subscriber.add(
      pongs$.subscribe({
        next: (value) => {
          const now = scheduler.now();
          clearChecks();
          missed = 0;
          subscriber.next({ kind: 'pong', latency: now - (typeof value === 'number' ? value : lastPingAt) });
        },
        error: (error: unknown) => subscriber.error(error),
      }),
    );

    if (!subscriber.closed) sendPing();
    if (!subscriber.closed) {
      // Re-armed from inside the action, so each interval runs from the actual send time.
      subscriber.add(
        scheduler.schedule(function (this: SchedulerAction<unknown>) {
          sendPing();
          if (!subscriber.closed) this.schedule(undefined, interval);
        }, interval),
      );
    }
    return clearChecks;
  });
}
