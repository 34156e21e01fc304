import { asyncScheduler, Observable } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { invalidOption } from '../protocol/option-checks';

/** Options of {@link coalesceAcks}. */
export interface CoalesceAcksConfig {
  /** Emit once this many commits are pending. @default 100 */
  maxCount?: number;
  /** Emit at most this long after the first pending commit, ms. @default 100 */
  maxDelayMs?: number;
}

/** How many messages one commit point stands for (a batch committed at once). @default () => 1 */
export type CommitWeight<T> = (value: T) => number;

export const DEFAULT_COALESCE_ACKS_CONFIG: Required<CoalesceAcksConfig> = { maxCount: 100, maxDelayMs: 100 };

/**
 * Turns a stream of commit points into cumulative acks: the newest point per
 * key, emitted as one array when `maxCount` commits are pending (each
 * counted `weightOf(value)` times: a batch commit stands for its messages) or
 * `maxDelayMs` after the first of them, whichever comes first. A later point
 * of a key replaces its earlier one (acks are cumulative). On completion
 * what is pending is emitted first; an error is passed on at once.
 *
 * ```
 * maxCount 3, maxDelayMs 4; a, b: stream s at seq 1, 2; c: stream t at seq 1
 * source:   a-b-----c|
 * result:   ----x----(y|)      x = [b] 4 frames after a; y = [c] on completion
 * ```
 *
 * ## Example
 * ```ts
 * of({ stream: 's', seq: 1 }, { stream: 's', seq: 2 })
 *   .pipe(coalesceAcks((c) => c.stream, { maxCount: 2 }))
 *   .subscribe((acks) => console.log(acks.map((a) => a.seq)));
 * // Output:
 * // [ 2 ]
 * ```
 */
export function coalesceAcks<T>(
  keyOf: (value: T) => string,
  config: CoalesceAcksConfig & { weightOf?: CommitWeight<T> } = {},
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<T, T[]> {
  const weightOf = config.weightOf;
  if (typeof keyOf !== 'function') throw invalidOption('keyOf', 'a function', keyOf);
  const { maxCount, maxDelayMs } = { ...DEFAULT_COALESCE_ACKS_CONFIG, ...config };
  if (!Number.isInteger(maxCount) || maxCount < 1)
    throw invalidOption('maxCount', 'an integer >= 1', maxCount);
  if (!(maxDelayMs >= 0)) throw invalidOption('maxDelayMs', 'a number >= 0', maxDelayMs);
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let pending = new Map<string, T>();
      let count = 0;
      let timer: Subscription | undefined;
      const flush = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (count === 0) return;
        const acks = [...pending.values()];
        pending = new Map();
        count = 0;
        subscriber.next(acks);
      };
      const subscription = source.subscribe({
        next: (value) => {
          const key = keyOf(value);
          pending.delete(key); // the newest point goes last, so arrays keep commit order
          pending.set(key, value);
          count += weightOf === undefined ? 1 : weightOf(value);
          if (count >= maxCount) return flush();
          timer ??= scheduler.schedule(flush, maxDelayMs);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
