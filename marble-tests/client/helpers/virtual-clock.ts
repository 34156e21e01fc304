import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/** Lets every pending promise callback and queued microtask run (the client batches frames in a microtask). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A TestScheduler stepped by hand. The client awaits promises between timers,
 * which `testScheduler.run()` (synchronous) cannot interleave, so time moves
 * one due instant at a time with the microtask queue drained in between.
 */
export class VirtualClock {
  readonly scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  now(): number {
    return this.scheduler.now();
  }

  /** Runs everything due up to and including `time`, then leaves the clock exactly at `time`. */
  async advanceTo(time: number): Promise<void> {
    await flushMicrotasks();
    for (let step = 0; step < 100_000; step++) {
      const next = this.scheduler.actions[0];
      if (next === undefined || next.delay > time) break;
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
      await flushMicrotasks();
    }
    if (this.scheduler.now() < time) {
      this.scheduler.schedule(() => undefined, time - this.scheduler.now());
      this.scheduler.maxFrames = time;
      this.scheduler.flush();
      await flushMicrotasks();
    }
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.now() + ms);
  }
}

/**
 * `[frame, value]` pairs of a marble diagram in run mode (1 character = 1 ms,
 * `999ms` time progressions), to compare with a recorded timeline.
 */
export function marbleTimeline<T>(marbles: string, values: Record<string, T>): Array<[number, T]> {
  // parseMarbles reads the frame width from this static; run() mode sets it to 1 the same way.
  const saved = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  try {
    return TestScheduler.parseMarbles(marbles, values, undefined, true, true)
      .filter((m) => m.notification.kind === 'N')
      .map((m) => [m.frame, (m.notification as { value: T }).value]);
  } finally {
    TestScheduler.frameTimeFactor = saved;
  }
}

/**
 * A scheduler whose timers fire at `skew(delay)` instead of `delay` while its
 * clock stays true, the way a hidden tab's throttled timers (late) or a timer
 * queue that disagrees with the clock (early) behave. Re-arming from inside an
 * action (`this.schedule(...)`) is skewed too.
 */
export function skewedScheduler(inner: SchedulerLike, skew: (delay: number) => number): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const outer = new Subscription();
      let current: Subscription | undefined;
      const action = outer as SchedulerAction<T>;
      const arm = (nextState: T | undefined, nextDelay: number): void => {
        if (current) outer.remove(current);
        current = inner.schedule(() => work.call(action, nextState), skew(nextDelay));
        outer.add(current);
      };
      action.schedule = (nextState?: T, nextDelay = 0) => {
        arm(nextState, nextDelay);
        return action;
      };
      arm(state, delay);
      return outer;
    },
  };
}
