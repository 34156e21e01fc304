import { retry, throwError, timer } from 'rxjs';
import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { checkFunction, invalidOption } from '../protocol/option-checks';

/** How a computed delay `d` is randomised before waiting. */
export type RetryBackoffJitter = 'none' | 'full' | 'equal';

/** What {@link RetryBackoffConfig.onRetry} is told before each wait. */
export interface RetryBackoffRetryInfo {
  /** 1 for the first retry, 2 for the second... (reset with `resetOnSuccess`). */
  attempt: number;
  /** The wait in ms before resubscribing, after the cap and the jitter. */
  delay: number;
  /** The error that triggered this retry. */
  error: unknown;
}

/** Options of {@link retryBackoff}; the first six are backoff-rxjs 7's, with its defaults. */
export interface RetryBackoffConfig {
  /** Delay of the first retry in ms; later delays come from `backoffDelay`. */
  initialInterval: number;
  /** Retries before the error is rethrown. @default Infinity */
  maxRetries?: number;
  /** Upper bound of any delay in ms. @default Infinity */
  maxInterval?: number;
  /** Whether each emitted value resets the retry counter (and so the delay). @default false */
  resetOnSuccess?: boolean;
  /** Whether an error is worth retrying; `false` rethrows it at once. @default () => true */
  shouldRetry?: (error: any) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Delay for a 0-based iteration. @default exponentialBackoffDelay (initialInterval * 2^iteration) */
  backoffDelay?: (iteration: number, initialInterval: number) => number;
  /** `full`: random in [0, d]; `equal`: d/2 + random in [0, d/2]; both rounded to whole ms. @default 'none' */
  jitter?: RetryBackoffJitter;
  /** Source of randomness in [0, 1) for the jitter; tests pass a seeded one. @default Math.random */
  random?: () => number;
  /** Scheduler of the waits. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Called just before each wait (the client turns it into a `reconnecting` event). */
  onRetry?: (info: RetryBackoffRetryInfo) => void;
}

/** Exponential backoff delay, as in backoff-rxjs: `2^iteration * initialInterval`. */
export function exponentialBackoffDelay(iteration: number, initialInterval: number): number {
  return Math.pow(2, iteration) * initialInterval;
}

/** The delay actually waited, as in backoff-rxjs: `backoffDelay` capped by `maxInterval`. */
export function getDelay(backoffDelay: number, maxInterval: number): number {
  return Math.min(backoffDelay, maxInterval);
}

/**
 * Resubscribes to the source after it errors, waiting longer each time:
 * a drop-in for backoff-rxjs 7's `retryBackoff` (same options, defaults and
 * timing, checked by a differential spec) built on rxjs `retry`, plus
 * `jitter`, a seedable `random`, a `scheduler` and an `onRetry` hook.
 *
 * Retry `i` (0-based) waits `min(backoffDelay(i, initialInterval), maxInterval)`
 * ms, jittered. The counter is per subscription.
 *
 * ```
 * source:   --1-#                               retryBackoff({ initialInterval: 1, maxRetries: 2 })
 * subs:     ^---!
 *                ^---!                            (after 1 ms)
 *                      ^---!                      (after 2 ms)
 * result:   --1----1-----1-#                      rethrown: no retries left
 * ```
 *
 * A bare number means `initialInterval`. Invalid options throw a `TypeError`
 * when the operator is created.
 *
 * ## Example
 * ```ts
 * const source = defer(() => of(++calls)).pipe(map((n) => { if (n < 3) throw n; return n; }));
 * source.pipe(retryBackoff({ initialInterval: 100, onRetry: ({ delay }) => console.log(`wait ${delay}`) }))
 *   .subscribe((n) => console.log(`got ${n}`));
 * // Output:
 * // wait 100
 * // wait 200
 * // got 3
 * ```
 */
export function retryBackoff<T>(config: number | RetryBackoffConfig): MonoTypeOperatorFunction<T> {
  const options = typeof config === 'number' ? { initialInterval: config } : config;
  if (!options || typeof options !== 'object') throw invalidOption('config', 'a number or an object', config);
  const {
    initialInterval,
    maxRetries = Infinity,
    maxInterval = Infinity,
    resetOnSuccess, // rxjs retry defaults it to false
    shouldRetry = () => true,
    backoffDelay = exponentialBackoffDelay,
    jitter = 'none',
    random = Math.random,
    scheduler,
    onRetry,
  } = options;
  checkAtLeastZero('initialInterval', initialInterval, false);
  checkAtLeastZero('maxRetries', maxRetries, true);
  checkAtLeastZero('maxInterval', maxInterval, true);
  if (!['none', 'full', 'equal'].includes(jitter)) {
    throw invalidOption('jitter', "'none', 'full' or 'equal'", jitter);
  }
  for (const [name, fn] of Object.entries({ shouldRetry, backoffDelay, random, onRetry })) {
    if (fn !== undefined) checkFunction(name, fn);
  }

  return retry<T>({
    count: maxRetries,
    resetOnSuccess,
    delay: (error: unknown, retryCount: number) => {
      // rxjs only calls us while retryCount <= maxRetries, as backoff-rxjs checks first.
      if (!shouldRetry(error)) return throwError(() => error);
      let delay = getDelay(backoffDelay(retryCount - 1, initialInterval), maxInterval);
      // 'none' must stay bit-identical to backoff-rxjs, so it is not rounded. Whole ms keep timers
      // (and marble frames) on integer boundaries; rounding makes the full delay reachable.
      if (jitter !== 'none' && delay > 0 && delay < Infinity) {
        const r = Math.min(Math.max(random(), 0), 1);
        delay = Math.round(jitter === 'full' ? r * delay : delay / 2 + (r * delay) / 2);
      }
      onRetry?.({ attempt: retryCount, delay, error });
      return timer(delay, scheduler);
    },
  });
}

/** A number >= 0; Infinity only where `infinityOk`. */
function checkAtLeastZero(name: string, value: unknown, infinityOk: boolean): void {
  if (!(typeof value === 'number' && value >= 0 && (infinityOk || value < Infinity))) {
    throw invalidOption(name, infinityOk ? 'a number >= 0' : 'a finite number >= 0', value);
  }
}
