import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { invalidOption } from '../protocol/option-checks';
import type { NgZoneLike } from './ng-zone-like';

/**
 * Subscribes to the source outside Angular's zone (`runOutsideAngular`), so
 * timers and sockets it starts are not tracked by the zone and cannot keep
 * the app from becoming stable. Emissions stay outside: add `enterZone`
 * after it where the view needs them.
 *
 * ## Example
 * ```ts
 * interval(1000).pipe(leaveZone(ngZone), enterZone(ngZone)).subscribe(tick);
 * // Output: the app is stable between ticks; tick runs inside the zone
 * ```
 */
export function leaveZone<T>(zone: NgZoneLike): MonoTypeOperatorFunction<T> {
  if (typeof zone?.runOutsideAngular !== 'function') throw invalidOption('zone', 'an NgZone', zone);
  return (source) =>
    new Observable<T>((subscriber) => zone.runOutsideAngular(() => source.subscribe(subscriber)));
}
