import { firstValueFrom, filter, timeout, type Observable } from 'rxjs';

/** The first value matching `predicate`, or a clear failure after `ms` (no sleeps). */
export function waitFor<T>(
  source: Observable<T>,
  predicate: (value: T) => boolean,
  ms = 5000,
  what = 'value',
): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(predicate),
      timeout({
        first: ms,
        with: () => {
          throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
        },
      }),
    ),
  );
}

/** Polls a condition on the event loop (setImmediate), bounded by `ms`. */
export async function until(condition: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
