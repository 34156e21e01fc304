import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { invalidOption } from '../protocol/option-checks';
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
    throw invalidOption('zone', 'an NgZone', zone);
  }
  // Every timer is armed outside the zone; `wrap` decides where its work runs.
  const outsideZone = (wrap: <T>(work: Work<T>) => Work<T>): SchedulerLike => ({
    now: () => scheduler.now(),
    schedule: <T>(work: Work<T>, delay?: number, state?: T): Subscription =>
      zone.runOutsideAngular(() => scheduler.schedule(wrap(work), delay, state)),
  });
  return {
    outside: outsideZone((work) => work),
    inside: outsideZone(
      (work) =>
        function (state) {
          zone.run(() => work.call(this, state));
        },
    ),
  };
}

type Work<T> = (this: SchedulerAction<T>, state?: T) => void;
