import { defer, Observable, of, SchedulerLike, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { exponentialBackoffDelay, getDelay, retryBackoff } from '../src/operators/retry-backoff';
import type { RetryBackoffConfig, RetryBackoffRetryInfo } from '../src/operators/retry-backoff';
import { seededRandom } from '../src/cli/seeded-random';

const ALMOST_ONE = 1 - Number.EPSILON;

describe('retryBackoff', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('resubscribes after 1, 2, 4 frames, then rethrows', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!                ',
        '                  ----^--!            ',
        '                  ---------^--!       ',
        '                  ----------------^--!',
      ];
      const expected = '   -a---a----a------a-#';
      expectObservable(source.pipe(retryBackoff({ initialInterval: 1, maxRetries: 3 }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('takes a bare number as initialInterval, retrying forever', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#');
      const unsub = '      ------------------------!';
      const subs = [
        '                  ^!                      ',
        '                  ---^!                   ',
        '                  --------^!              ',
        '                  -----------------^!     ',
      ];
      const expected = '   -------------------------';
      expectObservable(source.pipe(retryBackoff(2)), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('caps every delay at maxInterval', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!                      ',
        '                  ----^--!                  ',
        '                  ---------^--!             ',
        '                  ---------------^--!       ', // waited 3, not 4
        '                  ---------------------^--!', // waited 3, not 8
      ];
      const expected = '   -a---a----a-----a-----a-#';
      const result = source.pipe(retryBackoff({ initialInterval: 1, maxInterval: 3, maxRetries: 4 }));
      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('rethrows at once when shouldRetry returns false', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('  -#', undefined, 'transient');
      const second = cold('   --#', undefined, 'fatal');
      const firstSubs = '   ^!';
      const secondSubs = '  --^-!';
      const expected = '    ----#';
      let n = 0;
      const source = defer(() => (n++ === 0 ? first : second));
      const result = source.pipe(retryBackoff({ initialInterval: 1, shouldRetry: (e) => e !== 'fatal' }));
      expectObservable(result).toBe(expected, undefined, 'fatal');
      expectSubscriptions(first.subscriptions).toBe(firstSubs);
      expectSubscriptions(second.subscriptions).toBe(secondSubs);
    });
  });

  it('rethrows the first error when maxRetries is 0', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = '       ^--!';
      const expected = '   -a-#';
      expectObservable(source.pipe(retryBackoff({ initialInterval: 1, maxRetries: 0 }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('passes values and completion through untouched', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--1--^--2--3--|');
      const subs = '           ^--------!';
      const expected = '       ---2--3--|';
      expectObservable(source.pipe(retryBackoff(1))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('resets the delay after each value with resetOnSuccess', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const unsub = '      --------------!';
      const subs = [
        '                  ^--!          ',
        '                  ----^--!      ',
        '                  --------^--!  ',
        '                  ------------^-!',
      ];
      const expected = '   -a---a---a---a-';
      expectObservable(source.pipe(retryBackoff({ initialInterval: 1, resetOnSuccess: true })), unsub).toBe(
        expected,
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('with full jitter and random() = 0, resubscribes without waiting', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!      ',
        '                  ---^--!   ',
        '                  ------^--!',
      ];
      const expected = '   -a--a--a-#';
      const result = source.pipe(
        retryBackoff({ initialInterval: 4, maxRetries: 2, jitter: 'full', random: () => 0 }),
      );
      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('with full jitter and random() -> 1, waits the whole delay', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!            ',
        '                  -----^--!       ',
        '                  ------------^--!',
      ];
      const expected = '   -a----a------a-#';
      const result = source.pipe(
        retryBackoff({ initialInterval: 2, maxRetries: 2, jitter: 'full', random: () => ALMOST_ONE }),
      );
      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('with equal jitter and random() = 0, waits half the delay', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!         ',
        '                  ----^--!     ',
        '                  ---------^--!',
      ];
      const expected = '   -a---a----a-#';
      const result = source.pipe(
        retryBackoff({ initialInterval: 2, maxRetries: 2, jitter: 'equal', random: () => 0 }),
      );
      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('with equal jitter and random() -> 1, waits the whole delay', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const subs = [
        '                  ^--!            ',
        '                  -----^--!       ',
        '                  ------------^--!',
      ];
      const expected = '   -a----a------a-#';
      const result = source.pipe(
        retryBackoff({ initialInterval: 2, maxRetries: 2, jitter: 'equal', random: () => ALMOST_ONE }),
      );
      expectObservable(result).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it.each(['full', 'equal'] as const)(
    'keeps %s jitter within its bounds and waits exactly the jittered delay',
    (jitter) => {
      const run = (seed: number) => {
        const infos: RetryBackoffRetryInfo[] = [];
        let logs: Array<{ subscribedFrame: number; unsubscribedFrame: number }> = [];
        testScheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
        testScheduler.run(({ cold, flush }) => {
          const source = cold('-#');
          const config: RetryBackoffConfig = {
            initialInterval: 4,
            maxInterval: 100,
            maxRetries: 10,
            jitter,
            random: seededRandom(seed),
            onRetry: (info) => infos.push(info),
          };
          source.pipe(retryBackoff(config)).subscribe({ error: () => undefined });
          flush();
          logs = source.subscriptions;
        });
        return { delays: infos.map((i) => i.delay), logs };
      };
      const { delays, logs } = run(42);
      expect(delays).toHaveLength(10);
      delays.forEach((delay, i) => {
        const d = Math.min(4 * 2 ** i, 100);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(jitter === 'full' ? 0 : d / 2);
        expect(delay).toBeLessThanOrEqual(d);
        // Each resubscription comes exactly `delay` frames after the previous error.
        expect(logs[i + 1].subscribedFrame - logs[i].unsubscribedFrame).toBe(delay);
      });
      expect(new Set(delays.map((d, i) => d / Math.min(4 * 2 ** i, 100))).size).toBeGreaterThan(3);
      expect(run(42).delays).toEqual(delays);
      expect(run(7).delays).not.toEqual(delays);
    },
  );

  it('stops the wait when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const unsub = '      -----!';
      const subs = '       ^--!  ';
      const expected = '   -a----';
      expectObservable(source.pipe(retryBackoff(3)), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('unsubscribes from a retried source when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#');
      const unsub = '      ------!';
      const subs = ['                  ^--!   ', '                  ----^-!'];
      const expected = '   -a---a-';
      expectObservable(source.pipe(retryBackoff(1)), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('retries a synchronous source', () => {
    testScheduler.run(({ expectObservable }) => {
      let calls = 0;
      const source = defer(() => (++calls < 3 ? throwError(() => 'sync') : of('x')));
      const expected = '---(x|)';
      expectObservable(source.pipe(retryBackoff(1))).toBe(expected);
    });
  });

  it('keeps the attempt counter per subscription', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#');
      const sub1 = '      ^--------!           ';
      const sub2 = '      ----------^--------! ';
      const subs = [
        '                  ^-!                  ',
        '                  ---^-!               ',
        '                  -------^-!           ',
        '                  ----------^-!        ',
        '                  -------------^-!     ',
        '                  -----------------^-! ',
      ];
      const result = source.pipe(retryBackoff({ initialInterval: 1 }));
      expectObservable(result, sub1).toBe('---------');
      expectObservable(result, sub2).toBe('---------------------');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('waits on an explicit scheduler', () => {
    // Not in run mode: only the scheduler passed in is virtual, so a wait on any other would never end.
    const source = testScheduler.createColdObservable('-a-#');
    const result = source.pipe(
      retryBackoff({ initialInterval: 10, maxRetries: 1, scheduler: testScheduler }),
    );
    testScheduler.expectObservable(result).toBe('-a---a-#');
    testScheduler.expectSubscriptions(source.subscriptions).toBe(['^--!', '----^--!']);
    testScheduler.flush();
  });

  it('routes every wait through the given scheduler', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const delays: Array<number | undefined> = [];
      const scheduler: SchedulerLike = {
        now: () => testScheduler.now(),
        schedule: (work: any, delay?: number, state?: any) => {
          delays.push(delay);
          return testScheduler.schedule(work, delay, state);
        },
      };
      const source = cold('-#');
      expectObservable(source.pipe(retryBackoff({ initialInterval: 3, maxRetries: 2, scheduler }))).toBe(
        '------------#',
      );
      testScheduler.flush();
      expect(delays).toEqual([3, 6]);
    });
  });

  it('calls onRetry just before each wait', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const calls: Array<RetryBackoffRetryInfo & { frame: number }> = [];
      const source = cold('-a-#', undefined, 'boom');
      const subs = [
        '                  ^--!         ',
        '                  ----^--!     ',
        '                  ---------^--!',
      ];
      const expected = '   -a---a----a-#';
      const onRetry = (info: RetryBackoffRetryInfo) => calls.push({ ...info, frame: testScheduler.now() });
      expectObservable(source.pipe(retryBackoff({ initialInterval: 1, maxRetries: 2, onRetry }))).toBe(
        expected,
        undefined,
        'boom',
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
      testScheduler.flush();
      expect(calls).toEqual([
        { attempt: 1, delay: 1, error: 'boom', frame: 3 },
        { attempt: 2, delay: 2, error: 'boom', frame: 7 },
      ]);
    });
  });

  it('propagates an error thrown by shouldRetry', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#');
      const subs = '       ^!';
      const expected = '   -#';
      const shouldRetry = () => {
        throw 'predicate failed';
      };
      expectObservable(source.pipe(retryBackoff({ initialInterval: 1, shouldRetry }))).toBe(
        expected,
        undefined,
        'predicate failed',
      );
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('throws a TypeError naming the option for invalid config', () => {
    const bad: Array<[unknown, RegExp]> = [
      [-1, /initialInterval/],
      [NaN, /initialInterval/],
      [Infinity, /initialInterval/],
      [{ initialInterval: -5 }, /initialInterval/],
      [{ initialInterval: 1, maxRetries: -1 }, /maxRetries/],
      [{ initialInterval: 1, maxRetries: NaN }, /maxRetries/],
      [{ initialInterval: 1, maxInterval: NaN }, /maxInterval/],
      [{ initialInterval: 1, jitter: 'sometimes' }, /jitter/],
      [{ initialInterval: 1, shouldRetry: 'yes' }, /shouldRetry/],
      [{ initialInterval: 1, random: 4 }, /random/],
      [null, /config/],
    ];
    for (const [config, name] of bad) {
      expect(() => retryBackoff(config as RetryBackoffConfig)).toThrow(TypeError);
      expect(() => retryBackoff(config as RetryBackoffConfig)).toThrow(name);
    }
  });

  it('exports the backoff-rxjs delay helpers', () => {
    expect([0, 1, 2, 3].map((i) => exponentialBackoffDelay(i, 5))).toEqual([5, 10, 20, 40]);
    expect(getDelay(40, 25)).toBe(25);
    expect(getDelay(10, Infinity)).toBe(10);
  });

  it('is typed as a mono-type operator', () => {
    const typed: Observable<number> = of(1).pipe(retryBackoff(1));
    expect(typed).toBeInstanceOf(Observable);
  });
});
