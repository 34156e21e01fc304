import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { invalidOption } from '../protocol/option-checks';
import type { NgZoneLike } from './ng-zone-like';

/**
 * Delivers every notification inside Angular's zone (`ngZone.run`), so a
 * subscriber that updates the view triggers change detection, even when the
 * source emits outside the zone (as the client does with `zoneSchedulers`).
 *
 * ```
 * source (outside):  --a--b--|
 * result (inside):   --a--b--|
 * ```
 *
 * ## Example
 * ```ts
 * client.messages$.pipe(enterZone(ngZone)).subscribe(() => NgZone.isInAngularZone());
 * // Output: true
 * ```
 */
export function enterZone<T>(zone: NgZoneLike): MonoTypeOperatorFunction<T> {
  if (typeof zone?.run !== 'function') throw invalidOption('zone', 'an NgZone', zone);
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => zone.run(() => subscriber.next(value)),
        error: (error: unknown) => zone.run(() => subscriber.error(error)),
        complete: () => zone.run(() => subscriber.complete()),
      }),
    );
}
