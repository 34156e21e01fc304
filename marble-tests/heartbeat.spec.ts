import { SchedulerLike, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { heartbeat$ } from '../src/operators/heartbeat';
import type { HeartbeatEvent, HeartbeatOperatorConfig } from '../src/operators/heartbeat';
import { HeartbeatTimeoutError } from '../src/protocol/errors';

const ping = (sentAt: number): HeartbeatEvent => ({ kind: 'ping', sentAt });
const pong = (latency: number): HeartbeatEvent => ({ kind: 'pong', latency });
const miss = (missed: number): HeartbeatEvent => ({ kind: 'miss', missed });

/** A scheduler that hands every first-time timer to `ts` with its delay changed by `skew`. */
function skewed(ts: TestScheduler, skew: (delay: number) => number): SchedulerLike {
  return {
    now: () => ts.now(),
    schedule: (work: any, delay = 0, state?: any) => ts.schedule(work, skew(delay), state),
  };
}

describe('heartbeat$', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    // Strict: an error must be of the same class (and message) as expected.
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
  });

  it('pings at once and every interval; each pong reports its latency', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const pongs = hot<void>('  -x----x----x--');
      const unsub = '            -------------!';
      const pongSubs = '         ^------------!';
      const expected = '         aP---bP---cP--';
      const values = { a: ping(0), b: ping(5), c: ping(10), P: pong(1) };
      expectObservable(heartbeat$(pongs, { interval: 5, timeout: 3, maxMissed: 2 }), unsub).toBe(
        expected,
        values,
      );
      expectSubscriptions(pongs.subscriptions).toBe(pongSubs);
    });
  });

  it('behaves as the TSDoc picture shows', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot<void>('  -x--------');
      const expected = '         pP--q-1-r-(2#)';
      const values = { p: ping(0), q: ping(4), r: ping(8), P: pong(1), 1: miss(1), 2: miss(2) };
      const result = heartbeat$(pongs, { interval: 4, timeout: 2, maxMissed: 2 });
      expectObservable(result).toBe(expected, values, new HeartbeatTimeoutError(2, 6));
    });
  });

  it('measures latency from the echoed timestamp when pongs$ emits a number', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot('  ---a--b---', { a: 0, b: 1 });
      const unsub = '      ---------!';
      const expected = '   x--P--Q---';
      const values = { x: ping(0), P: pong(3), Q: pong(5) };
      expectObservable(heartbeat$(pongs, { interval: 20, timeout: 10, maxMissed: 1 }), unsub).toBe(
        expected,
        values,
      );
    });
  });

  it('counts consecutive misses and errors when they reach maxMissed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const pongs = hot<void>('  -------------');
      const pongSubs = '         ^---------!';
      const expected = '         a-1-b-2-c-(3#)';
      const values = { a: ping(0), b: ping(4), c: ping(8), 1: miss(1), 2: miss(2), 3: miss(3) };
      const error = new HeartbeatTimeoutError(3, 10);
      expectObservable(heartbeat$(pongs, { interval: 4, timeout: 2, maxMissed: 3 })).toBe(
        expected,
        values,
        error,
      );
      expectSubscriptions(pongs.subscriptions).toBe(pongSubs);
    });
  });

  it('resets the miss count on a pong', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot<void>('  -----x-----------');
      const expected = '         a-1-bP--c-1-d-(2#)';
      const values = { a: ping(0), b: ping(4), c: ping(8), d: ping(12), 1: miss(1), 2: miss(2), P: pong(1) };
      const error = new HeartbeatTimeoutError(2, 6);
      expectObservable(heartbeat$(pongs, { interval: 4, timeout: 2, maxMissed: 2 })).toBe(
        expected,
        values,
        error,
      );
    });
  });

  it('works with timeout > interval: a pong answers every outstanding ping', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot<void>('  ---x-----------');
      // pings at 0, 2 answered at 3; the ping at 4 is the first missed (at 9); dead at 4 + 2 * 2 + 5.
      const expected = '         a-bPc-d-e1f2g(3#)';
      const values = {
        ...{ a: ping(0), b: ping(2), c: ping(4), d: ping(6), e: ping(8), f: ping(10), g: ping(12) },
        ...{ P: pong(1), 1: miss(1), 2: miss(2), 3: miss(3) },
      };
      const error = new HeartbeatTimeoutError(3, 9);
      expectObservable(heartbeat$(pongs, { interval: 2, timeout: 5, maxMissed: 3 })).toBe(
        expected,
        values,
        error,
      );
    });
  });

  it('errors after a single miss when maxMissed is 1', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot<void>('-');
      const expected = '       a--(1#)';
      const error = new HeartbeatTimeoutError(1, 3);
      const result = heartbeat$(pongs, { interval: 10, timeout: 3, maxMissed: 1 });
      expectObservable(result).toBe(expected, { a: ping(0), 1: miss(1) }, error);
    });
  });

  const bounds: Array<[interval: number, timeout: number, maxMissed: number]> = [
    [5, 3, 3],
    [4, 4, 2],
    [3, 7, 4],
    [10, 2, 1],
    [2, 9, 5],
    [6, 6, 6],
  ];
  for (const [interval, timeout, maxMissed] of bounds) {
    it(`detects a dead link exactly (maxMissed - 1) * interval + timeout after the first unanswered ping (${interval}/${timeout}/${maxMissed})`, () => {
      testScheduler.run(({ hot, flush }) => {
        const notes: Array<[number, HeartbeatEvent | Error]> = [];
        const pongs = hot<void>('-x'); // answers the ping at 0 only
        heartbeat$(pongs, { interval, timeout, maxMissed }).subscribe({
          next: (e) => notes.push([testScheduler.now(), e]),
          error: (e: Error) => notes.push([testScheduler.now(), e]),
        });
        flush();
        const firstUnanswered = interval;
        const bound = (maxMissed - 1) * interval + timeout;
        const [frame, error] = notes[notes.length - 1];
        expect(error).toStrictEqual(new HeartbeatTimeoutError(maxMissed, bound));
        expect(frame).toBe(firstUnanswered + bound);
        const misses = notes.filter(([, e]) => !(e instanceof Error) && e.kind === 'miss');
        expect(misses.map(([, e]) => e)).toEqual(Array.from({ length: maxMissed }, (_, i) => miss(i + 1)));
        expect(misses[0][0]).toBe(firstUnanswered + timeout);
      });
    });
  }

  it('counts a miss only once timeout ms have elapsed, even if a timer fires early', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      // Timers fire after half their delay; the ping loop re-arms itself exactly, so pings are at 0, 5, 15.
      const scheduler = skewed(testScheduler, (d) => Math.floor(d / 2));
      const pongs = hot<void>('-');
      const expected = '       a----b1----(2#)';
      const error = new HeartbeatTimeoutError(2, 11);
      const result = heartbeat$(pongs, { interval: 10, timeout: 6, maxMissed: 2, scheduler });
      expectObservable(result).toBe(expected, { a: ping(0), b: ping(5), 1: miss(1), 2: miss(2) }, error);
    });
  });

  it('measures a late ping’s deadline from when it was actually sent (throttled timers)', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      // The first ping-loop timer fires 7 ms late, as in a throttled background tab.
      const scheduler = skewed(testScheduler, (d) => (d === 10 ? d + 7 : d));
      const pongs = hot<void>('-');
      const expected = '       a-----1----------b-----(2#)';
      const error = new HeartbeatTimeoutError(2, 23);
      const result = heartbeat$(pongs, { interval: 10, timeout: 6, maxMissed: 2, scheduler });
      expectObservable(result).toBe(expected, { a: ping(0), b: ping(17), 1: miss(1), 2: miss(2) }, error);
    });
  });

  it('propagates an error of pongs$', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const pongs = hot<void>('  ---#', undefined, 'socket gone');
      const pongSubs = '         ^--!';
      const expected = '         a--#';
      const result = heartbeat$(pongs, { interval: 5, timeout: 4, maxMissed: 2 });
      expectObservable(result).toBe(expected, { a: ping(0) }, 'socket gone');
      expectSubscriptions(pongs.subscriptions).toBe(pongSubs);
    });
  });

  it('keeps beating after pongs$ completes, then times out', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const pongs = hot<void>('  -x|');
      const pongSubs = '         ^-!';
      const expected = '         aP--b--1c--(2#)';
      const values = { a: ping(0), b: ping(4), c: ping(8), P: pong(1), 1: miss(1), 2: miss(2) };
      const result = heartbeat$(pongs, { interval: 4, timeout: 3, maxMissed: 2 });
      expectObservable(result).toBe(expected, values, new HeartbeatTimeoutError(2, 7));
      expectSubscriptions(pongs.subscriptions).toBe(pongSubs);
    });
  });

  it('stops every timer and the pongs$ subscription on unsubscribe', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const ran: number[] = [];
      const scheduler: SchedulerLike = {
        now: () => testScheduler.now(),
        schedule: (work: any, delay?: number, state?: any) =>
          testScheduler.schedule(
            function (this: any, s: any) {
              ran.push(testScheduler.now());
              work.call(this, s);
            },
            delay,
            state,
          ),
      };
      const pongs = hot<void>('  --x-----------');
      const unsub = '            -------!';
      const pongSubs = '         ^------!';
      const expected = '         a-P--b--';
      const result = heartbeat$(pongs, { interval: 5, timeout: 4, maxMissed: 1, scheduler });
      expectObservable(result, unsub).toBe(expected, { a: ping(0), b: ping(5), P: pong(2) });
      expectSubscriptions(pongs.subscriptions).toBe(pongSubs);
      flush();
      // Only the ping at 5 ran; its check (due at 9) and the ping due at 10 were cancelled.
      expect(ran).toEqual([5]);
    });
  });

  it('handles a pong fed synchronously by the ping writer', () => {
    testScheduler.run(({ flush }) => {
      const pongs = new Subject<number>();
      const notes: Array<[number, HeartbeatEvent]> = [];
      const subscription = heartbeat$(pongs, { interval: 5, timeout: 1, maxMissed: 1 }).subscribe((e) => {
        notes.push([testScheduler.now(), e]);
        if (e.kind === 'ping') pongs.next(e.sentAt); // the "socket" answers before send() returns
      });
      testScheduler.schedule(() => subscription.unsubscribe(), 12);
      flush();
      expect(notes).toStrictEqual([
        [0, ping(0)],
        [0, pong(0)],
        [5, ping(5)],
        [5, pong(0)],
        [10, ping(10)],
        [10, pong(0)],
      ]);
    });
  });

  it('keeps ping times and miss counts per subscription', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const pongs = hot<void>('  -----x-----------');
      const sub1 = '             ^----------------';
      const sub2 = '             --^--------------';
      const expected1 = '        a-1-bP--c-1-d-(2#)';
      const expected2 = '        --d-1Pe-1-f-(2#)';
      const result = heartbeat$(pongs, { interval: 4, timeout: 2, maxMissed: 2 });
      const values1 = { a: ping(0), b: ping(4), c: ping(8), d: ping(12), 1: miss(1), 2: miss(2), P: pong(1) };
      const values2 = { d: ping(2), e: ping(6), f: ping(10), 1: miss(1), 2: miss(2), P: pong(3) };
      expectObservable(result, sub1).toBe(expected1, values1, new HeartbeatTimeoutError(2, 6));
      expectObservable(result, sub2).toBe(expected2, values2, new HeartbeatTimeoutError(2, 6));
    });
  });

  it('runs on an explicit scheduler', () => {
    // Not in run mode: only the scheduler passed in is virtual (10 per frame).
    const pongs = testScheduler.createHotObservable<void>('--x---------');
    const result = heartbeat$(pongs, { interval: 40, timeout: 30, maxMissed: 2, scheduler: testScheduler });
    const values = { a: ping(0), b: ping(40), c: ping(80), P: pong(20), 1: miss(1), 2: miss(2) };
    testScheduler.expectObservable(result).toBe('a-P-b--1c--(2#)', values, new HeartbeatTimeoutError(2, 70));
    testScheduler.flush();
  });

  it('throws a TypeError naming the option for invalid config', () => {
    const pongs = new Subject<void>();
    const ok: HeartbeatOperatorConfig = { interval: 5, timeout: 3, maxMissed: 3 };
    const bad: Array<[Partial<HeartbeatOperatorConfig>, RegExp]> = [
      [{ interval: 0 }, /interval/],
      [{ interval: -5 }, /interval/],
      [{ interval: NaN }, /interval/],
      [{ timeout: 0 }, /timeout/],
      [{ timeout: -1 }, /timeout/],
      [{ timeout: Infinity }, /timeout/],
      [{ maxMissed: 0 }, /maxMissed/],
      [{ maxMissed: 1.5 }, /maxMissed/],
      [{ maxMissed: NaN }, /maxMissed/],
    ];
    for (const [patch, name] of bad) {
      expect(() => heartbeat$(pongs, { ...ok, ...patch })).toThrow(TypeError);
      expect(() => heartbeat$(pongs, { ...ok, ...patch })).toThrow(name);
    }
    expect(() => heartbeat$(undefined as any, ok)).toThrow(/pongs\$/);
    expect(() => heartbeat$(pongs, ok)).not.toThrow();
  });
});
