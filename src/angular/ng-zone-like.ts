/**
 * The two methods of Angular's `NgZone` the zone helpers use. Structural, so
 * the library has no dependency on `@angular/core`: pass your injected NgZone.
 */
export interface NgZoneLike {
  run<T>(fn: () => T): T;
  runOutsideAngular<T>(fn: () => T): T;
}
