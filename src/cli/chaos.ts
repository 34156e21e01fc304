import type { FaultProxy } from './fault-proxy';

/** A `[min, max]` range in milliseconds; each delay is drawn uniformly from it. */
export type MsRange = readonly [min: number, max: number];

/** What {@link chaos} did, reported through `onEvent`. */
export interface ChaosEvent {
  type: 'reset' | 'blackhole-start' | 'blackhole-end' | 'end';
  /** Milliseconds since {@link chaos} was called. */
  atMs: number;
  /** Live links when the event happened. */
  live: number;
}

/** Options of {@link chaos}. */
export interface ChaosOptions {
  /** Delay between resets of every live link. @default undefined (no resets) */
  resetEveryMs?: MsRange;
  /** Delay between the end of one black-hole and the start of the next. @default undefined (none) */
  blackholeEveryMs?: MsRange;
  /** How long each black-hole lasts. @default [500, 1500] */
  blackholeForMs?: number | MsRange;
  /** Chaos stops by itself after this long. */
  durationMs: number;
  onEvent?: (event: ChaosEvent) => void;
}

/** Stops the chaos early; `done` settles when it has stopped (early or at `durationMs`). */
export type ChaosHandle = (() => void) & { readonly done: Promise<void> };

/**
 * Schedules random resets and black-holes on `proxy`, drawing every delay
 * from the proxy's seeded PRNG so a run replays with the same seed. Bounded:
 * it ends after `durationMs` (or when the returned function is called), lifts
 * any black-hole it started, and its timers never keep the process alive.
 *
 * ## Example
 * ```ts
 * const stop = chaos(proxy, { resetEveryMs: [200, 800], durationMs: 5000, onEvent: (e) => console.log(e.type) });
 * await stop.done;
 * // Output: reset, reset, ..., end
 * ```
 */
export function chaos(proxy: FaultProxy, options: ChaosOptions): ChaosHandle {
  const { resetEveryMs, blackholeEveryMs, durationMs, onEvent } = options;
  if (!(Number.isFinite(durationMs) && durationMs > 0)) {
    throw new TypeError(`chaos: option "durationMs" must be a positive number, got ${durationMs}`);
  }
  if (resetEveryMs) assertRange('resetEveryMs', resetEveryMs);
  if (blackholeEveryMs) assertRange('blackholeEveryMs', blackholeEveryMs);
  const blackholeFor = options.blackholeForMs ?? [500, 1500];
  const blackholeForRange: MsRange =
    typeof blackholeFor === 'number' ? [blackholeFor, blackholeFor] : blackholeFor;
  assertRange('blackholeForMs', blackholeForRange);

  const startedAt = performance.now();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let holeOpen = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const emit = (type: ChaosEvent['type']) =>
    onEvent?.({ type, atMs: Math.round(performance.now() - startedAt), live: proxy.stats.live });
  const draw = ([min, max]: MsRange) => min + (max - min) * proxy.random();
  const after = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const scheduleReset = (range: MsRange) =>
    after(draw(range), () => {
      proxy.resetAll();
      emit('reset');
      scheduleReset(range);
    });
  const scheduleBlackhole = (range: MsRange) =>
    after(draw(range), () => {
      proxy.blackhole(true);
      holeOpen = true;
      emit('blackhole-start');
      after(draw(blackholeForRange), () => {
        proxy.blackhole(false);
        holeOpen = false;
        emit('blackhole-end');
        scheduleBlackhole(range);
      });
    });

  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    if (holeOpen) {
      proxy.blackhole(false);
      holeOpen = false;
      emit('blackhole-end');
    }
    emit('end');
    finish();
  };

  if (resetEveryMs) scheduleReset(resetEveryMs);
  if (blackholeEveryMs) scheduleBlackhole(blackholeEveryMs);
  after(durationMs, stop);
  return Object.assign(stop, { done });
}

function assertRange(name: string, range: MsRange): void {
  const ok = Array.isArray(range) && range.length === 2 && range.every((n) => Number.isFinite(n) && n >= 0);
  if (!ok || range[0] > range[1]) {
    throw new TypeError(
      `chaos: option "${name}" must be [min, max] with 0 <= min <= max, got ${JSON.stringify(range)}`,
    );
  }
}
