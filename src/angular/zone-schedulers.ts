import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { NgZoneLike } from './ng-zone-like';

/** See {@link zoneSchedulers}. */
export interface ZoneSchedulers {
  /** Timers and their work outside the zone: give it to the client as `scheduler`. */
  outside: SchedulerLike;
  /** Timers outside the zone, work inside it (`ngZone.run`): for `observeOn` where an emission must reach the view. */
  inside: SchedulerLike;
}

/**
 * Schedulers that keep Angular's zone free of the library's timers. A zone
 * with a pending timer is never stable, and Angular waits for stability
 * (hydration, `whenStable`, `fixture.whenStable()`): heartbeats, backoff and
 * ack timeouts would hold it forever. Both schedulers arm their timers via
 * `runOutsideAngular`; `inside` runs each piece of work back in the zone.
 *
 * ```
 * zone:      [ app ]------------------------[ run(work) ]---->   inside
 * root:             timer(5000) ...........^                    (timer never tracked)
 * ```
 *
 * Pair it with `enterZone(ngZone)` on the streams the view consumes, and call
 * `connect()` inside `ngZone.runOutsideAngular` so the socket's callbacks stay
 * out of change detection too.
 *
 * ## Example
 * ```ts
 * const ngZone = inject(NgZone);
 * const { outside } = zoneSchedulers(ngZone);
 * const client = new ReliableWebSocketClient(url, { apiKey, scheduler: outside });
 * ngZone.runOutsideAngular(() => client.connect());
 * const orders$ = client.messages$.pipe(enterZone(ngZone));
 * // Output: the app becomes stable while heartbeats run; orders$ emits inside the zone
 * ```
 *
 * @param zone - Angular's NgZone (anything with `run` and `runOutsideAngular`).
 * @param scheduler - The scheduler doing the timing. @default asyncScheduler
 */
export function zoneSchedulers(zone: NgZoneLike, scheduler: SchedulerLike = asyncScheduler): ZoneSchedulers {
  if (typeof zone?.run !== 'function' || typeof zone.runOutsideAngular !== 'function') {
    throw new TypeError('zoneSchedulers: `zone` must be an NgZone (with run and runOutsideAngular).');
  }
  const outside: SchedulerLike = {
    now: () => scheduler.now(),
    schedule: <T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription => zone.runOutsideAngular(() => scheduler.schedule(work, delay, state)),
  };
  const inside: SchedulerLike = {
    now: () => scheduler.now(),
    schedule: <T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription =>
      zone.runOutsideAngular(() =>
        scheduler.schedule(
          function (this: SchedulerAction<T>, s?: T) {
            zone.run(() => work.call(this, s));
          },
          delay,
          state,
        ),
      ),
  };
  return { outside, inside };
}
