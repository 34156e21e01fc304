import { SchedulerLike, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { RunHelpers } from 'rxjs/testing';
import { AckTracker } from '../src/operators/ack-tracker';
import type { AckOutcome, AckTrackerConfig } from '../src/operators/ack-tracker';
import { AckTimeoutError, MessageExpiredError, NackError } from '../src/protocol/errors';

interface Msg {
  id: string;
}
const a: Msg = { id: 'a' };
const b: Msg = { id: 'b' };
const c: Msg = { id: 'c' };

const acked = (message: Msg, attempts: number, latency: number, response?: unknown): AckOutcome<Msg> =>
  response === undefined
    ? { message, acknowledged: true, attempts, latency }
    : { message, acknowledged: true, attempts, latency, response };
const failed = (message: Msg, attempts: number, error: Error): AckOutcome<Msg> => ({
  message,
  acknowledged: false,
  attempts,
  error,
});
const timedOut = (message: Msg, attempts: number, timeout: number) =>
  failed(message, attempts, new AckTimeoutError(message.id, attempts, timeout));

/** A tracker whose sends ("a1" = a, attempt 1) and outcomes are observables, for expectObservable. */
function setup(config: Partial<AckTrackerConfig<Msg>> = {}) {
  const sends = new Subject<string>();
  const settled = new Subject<AckOutcome<Msg>>();
  const tracker = new AckTracker<Msg>({
    timeout: 3,
    maxRetries: 2,
    send: (m, attempt) => sends.next(`${m.id}${attempt}`),
    onSettled: (o) => settled.next(o),
    ...config,
  });
  return { tracker, sends, settled };
}

/** Runs `fn` at each frame of `marbles` (letters are just labels). */
function at(h: RunHelpers, marbles: string, fn: (label: string) => void): void {
  h.cold(marbles).subscribe(fn);
}

/** Orders `[line, index]` by the frame each line starts with, then by index. */
function byTime([a, i]: readonly [string, number], [b, j]: readonly [string, number]): number {
  return parseInt(a, 10) - parseInt(b, 10) || i - j;
}

/** Counts timers armed on the test scheduler. */
function countingScheduler(ts: TestScheduler): SchedulerLike & { armed: number[] } {
  const armed: number[] = [];
  return {
    armed,
    now: () => ts.now(),
    schedule: (work: any, delay?: number, state?: any) => {
      armed.push(ts.now() + (delay ?? 0));
      return ts.schedule(work, delay, state);
    },
  };
}

describe('AckTracker', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    // Strict: errors must be of the expected class, outcomes must not carry extra keys.
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
  });

  it('behaves as the TSDoc picture shows', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3, maxRetries: 1 });
      h.expectObservable(sends).toBe('    a-bA-B---', { a: 'a1', b: 'b1', A: 'a2', B: 'b2' });
      h.expectObservable(settled).toBe('  ------xy-', { x: timedOut(a, 2, 3), y: acked(b, 2, 5) });
      at(h, '                             a-b------', (id) => tracker.track({ id }));
      at(h, '                             -------b-', (id) => tracker.ack(id));
    });
  });

  it('sends at once and settles on the ack with the latency since the first send', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 5 });
      h.expectObservable(sends).toBe('    x------', { x: 'a1' });
      h.expectObservable(settled).toBe('  ---y---', { y: acked(a, 1, 3, { orderId: 7 }) });
      at(h, '                             a------', () => tracker.track(a));
      at(h, '                             ---a---', () => tracker.ack('a', { orderId: 7 }));
    });
  });

  it('resends at exact timeouts and gives up after maxRetries with AckTimeoutError', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3, maxRetries: 2 });
      h.expectObservable(sends).toBe('    x--y--z-----', { x: 'a1', y: 'a2', z: 'a3' });
      h.expectObservable(settled).toBe('  ---------t--', { t: timedOut(a, 3, 3) });
      at(h, '                             a', () => tracker.track(a));
    });
  });

  it('counts latency from the first send when the ack answers a resend', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      h.expectObservable(sends).toBe('    x--y------', { x: 'a1', y: 'a2' });
      h.expectObservable(settled).toBe('  ----k-----', { k: acked(a, 2, 4) });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             ----a', () => tracker.ack('a'));
    });
  });

  it('settles a nack at once with NackError and does not retry', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      const returned: boolean[] = [];
      h.expectObservable(sends).toBe('    x---------', { x: 'a1' });
      h.expectObservable(settled).toBe('  --n-------', {
        n: failed(a, 1, new NackError('a', 'RATE_LIMITED', 'slow down', 500)),
      });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             --a-a', () =>
        returned.push(tracker.nack('a', 'RATE_LIMITED', 'slow down', 500)),
      );
      h.flush();
      expect(returned).toEqual([true, false]);
    });
  });

  it('ignores a late ack (after the message timed out)', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 2, maxRetries: 0 });
      const returned: boolean[] = [];
      h.expectObservable(sends).toBe('    x------', { x: 'a1' });
      h.expectObservable(settled).toBe('  --t----', { t: timedOut(a, 1, 2) });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             ---a', () => returned.push(tracker.ack('a')));
      h.flush();
      expect(returned).toEqual([false]);
    });
  });

  it('ignores a duplicate ack and an unknown id', () => {
    testScheduler.run((h) => {
      const { tracker, settled } = setup({ timeout: 5 });
      const returned: boolean[] = [];
      h.expectObservable(settled).toBe('  -k------', { k: acked(a, 1, 1) });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             -aaz', (id) => returned.push(tracker.ack(id)));
      h.flush();
      expect(returned).toEqual([true, false, false]);
      expect(tracker.size).toBe(0);
    });
  });

  it('on resume resends every pending message in track order, without counting an attempt', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 6, maxRetries: 1 });
      // paused at 2 (before any deadline), c queued at 3, resumed at 10: resent at 10, retried at 16
      h.expectObservable(sends).toBe('    xy--------(abc)-(ABC)', {
        ...{ x: 'a1', y: 'b1', a: 'a1', b: 'b1', c: 'c1' },
        ...{ A: 'a2', B: 'b2', C: 'c2' },
      });
      h.expectObservable(settled).toBe('  ----------------------(tuv)', {
        t: timedOut(a, 2, 6),
        u: timedOut(b, 2, 6),
        v: timedOut(c, 2, 6),
      });
      at(h, '                             ab-c----', (id) => tracker.track({ id }));
      at(h, '                             --p-------r', (op) =>
        op === 'p' ? tracker.pause() : tracker.resume(),
      );
      h.flush();
      expect(tracker.paused).toBe(false);
    });
  });

  it('while paused keeps entries, queues new ones and stops ack deadlines', () => {
    testScheduler.run((h) => {
      const { tracker, sends } = setup({ timeout: 3 });
      h.expectObservable(sends).toBe('    x-------', { x: 'a1' });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             -p', () => tracker.pause());
      at(h, '                             ---b', () => tracker.track(b));
      h.flush();
      expect(tracker.paused).toBe(true);
      expect(tracker.pendingIds()).toEqual(['a', 'b']);
      expect(tracker.size).toBe(2);
    });
  });

  it('settles a message as expired at expiresAt, even while paused', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      h.expectObservable(sends).toBe('    x--------', { x: 'a1' });
      h.expectObservable(settled).toBe('  -----e---', { e: failed(a, 1, new MessageExpiredError('a', 5)) });
      at(h, '                             a', () => tracker.track(a, { expiresAt: 5 }));
      at(h, '                             -p', () => tracker.pause());
    });
  });

  it('expires rather than resends when expiry and ack deadline coincide', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      h.expectObservable(sends).toBe('    x-------', { x: 'a1' });
      h.expectObservable(settled).toBe('  ---e----', { e: failed(a, 1, new MessageExpiredError('a', 3)) });
      at(h, '                             a', () => tracker.track(a, { expiresAt: 3 }));
    });
  });

  it('settles an already expired message at once without sending it', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      h.expectObservable(sends).toBe('    -------');
      h.expectObservable(settled).toBe('  --e----', { e: failed(a, 0, new MessageExpiredError('a', 0)) });
      at(h, '                             --a', () => tracker.track(a, { expiresAt: 1 }));
    });
  });

  it('expires messages in expiresAt order (then track order), whatever order they came in', () => {
    testScheduler.run((h) => {
      const { tracker, settled } = setup({ timeout: 100 });
      const expired = (m: Msg, ttl: number) => failed(m, 1, new MessageExpiredError(m.id, ttl));
      const d: Msg = { id: 'd' };
      h.expectObservable(settled).toBe('  ---x-(yz)w', {
        ...{ x: expired(c, 3), y: expired(a, 5), z: expired(d, 5) },
        ...{ w: expired(b, 9) },
      });
      at(h, '                             a', () => {
        tracker.track(a, { expiresAt: 5 });
        tracker.track(b, { expiresAt: 9 });
        tracker.track(c, { expiresAt: 3 });
        tracker.track(d, { expiresAt: 5 });
      });
      h.flush();
      expect(tracker.size).toBe(0);
    });
  });

  it('honours a per-message timeout and maxRetries override alongside the default', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 10, maxRetries: 1 });
      h.expectObservable(sends).toBe('    xy-Y-Z----X----------', {
        x: 'a1',
        y: 'b1',
        Y: 'b2',
        Z: 'b3',
        X: 'a2',
      });
      h.expectObservable(settled).toBe('  -------t-----k-------', {
        t: timedOut(b, 3, 2),
        k: acked(a, 2, 13),
      });
      at(h, '                             ab', (id) =>
        id === 'a' ? tracker.track(a) : tracker.track(b, { timeout: 2, maxRetries: 2 }),
      );
      at(h, '                             -------------a', (id) => tracker.ack(id));
    });
  });

  it('uses one timer for many messages sharing the default timeout', () => {
    testScheduler.run((h) => {
      const scheduler = countingScheduler(testScheduler);
      let sends = 0;
      const outcomes: Array<AckOutcome<Msg>> = [];
      const tracker = new AckTracker<Msg>({
        ...{ timeout: 5, maxRetries: 1, scheduler },
        send: () => sends++,
        onSettled: (o) => outcomes.push(o),
      });
      // 100 messages per frame over frames 0..9; the even ones of each frame acked one frame later.
      at(h, '0123456789', (f) => {
        for (let i = 0; i < 100; i++) tracker.track({ id: `${f}-${i}` });
      });
      at(h, '-0123456789', (f) => {
        for (let i = 0; i < 100; i += 2) expect(tracker.ack(`${f}-${i}`)).toBe(true);
      });
      h.flush();
      expect(sends).toBe(1000 + 500);
      expect(outcomes.filter((o) => o.acknowledged)).toHaveLength(500);
      expect(outcomes.filter((o) => !o.acknowledged)).toHaveLength(500);
      // One timer per frame where something falls due (5..14 resends, 10..19 timeouts), none per message.
      expect(scheduler.armed).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    });
  });

  it('settles from outside with fail()', () => {
    testScheduler.run((h) => {
      const { tracker, sends, settled } = setup({ timeout: 3 });
      const evicted = new Error('evicted');
      h.expectObservable(sends).toBe('    x-------', { x: 'a1' });
      h.expectObservable(settled).toBe('  -f------', { f: failed(a, 1, evicted) });
      at(h, '                             a', () => tracker.track(a));
      at(h, '                             -a-a', () => tracker.fail('a', evicted));
    });
  });

  it('settles with the error a throwing send() raised', () => {
    testScheduler.run((h) => {
      const boom = new TypeError('cannot encode');
      const { tracker, settled } = setup({
        send: () => {
          throw boom;
        },
      });
      h.expectObservable(settled).toBe('  -f---', { f: failed(a, 1, boom) });
      at(h, '                             -a', () => tracker.track(a));
    });
  });

  it('handles an ack delivered synchronously from send() and leaves no timer armed', () => {
    testScheduler.run((h) => {
      const scheduler = countingScheduler(testScheduler);
      const outcomes: Array<AckOutcome<Msg>> = [];
      const tracker: AckTracker<Msg> = new AckTracker<Msg>({
        ...{ timeout: 3, maxRetries: 1, scheduler },
        send: (m) => tracker.ack(m.id),
        onSettled: (o) => outcomes.push(o),
      });
      at(h, 'a-b', (id) => tracker.track({ id }));
      h.flush();
      expect(outcomes).toStrictEqual([acked(a, 1, 0), acked(b, 1, 0)]);
      expect(scheduler.armed).toEqual([]);
    });
  });

  it('dispose() stops the timer and settles nothing; dispose(error) settles all with it, in order', () => {
    testScheduler.run((h) => {
      const quiet = setup({ timeout: 3 });
      const loud = setup({ timeout: 3 });
      const closed = new Error('client closed');
      h.expectObservable(quiet.sends).toBe('    x------', { x: 'a1' });
      h.expectObservable(quiet.settled).toBe('  -------');
      h.expectObservable(loud.settled).toBe('   --(xy)-', {
        x: failed(a, 1, closed),
        y: failed(b, 1, closed),
      });
      at(h, '                                   a', () => {
        quiet.tracker.track(a);
        loud.tracker.track(a);
        loud.tracker.track(b);
      });
      at(h, '                                   --d', () => {
        quiet.tracker.dispose();
        loud.tracker.dispose(closed);
      });
      h.flush();
      expect(quiet.tracker.size).toBe(0);
      expect(quiet.tracker.ack('a')).toBe(false);
      expect(() => quiet.tracker.track(c)).toThrow(/dispose/);
    });
  });

  it('keeps resend, timeout and expiry order across many settled messages (stale slots compacted away)', () => {
    testScheduler.run((h) => {
      const log: string[] = [];
      const tracker = new AckTracker<Msg>({
        timeout: 10,
        maxRetries: 1,
        send: (m, attempt) => log.push(`${testScheduler.now()} send ${m.id}#${attempt}`),
        onSettled: (o) =>
          log.push(
            `${testScheduler.now()} ${o.message.id} ` +
              (o.acknowledged ? 'acked' : o.error instanceof MessageExpiredError ? 'expired' : 'timed out'),
          ),
      });
      const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
      const m = ids('m', 100); // expiries in track order: the expiry queue
      const x = ids('x', 10); // expiries out of order: the heap
      const n = ids('n', 100);
      const kept = m.filter((_, i) => i % 10 === 3);
      const slow = n.filter((_, i) => i % 25 === 0);
      at(h, 'a', () => {
        m.forEach((id, i) => tracker.track({ id }, { expiresAt: 100 + i }));
        x.forEach((id, i) => tracker.track({ id }, { expiresAt: 15 - i }));
      });
      at(h, '-a', () => m.filter((id) => !kept.includes(id)).forEach((id) => tracker.ack(id)));
      // Lane and expiry queue now hold 90 stale slots each: the next tracks compact them.
      at(h, '--a', () => n.forEach((id, i) => tracker.track({ id }, { expiresAt: 200 + i })));
      at(h, '---a', () => n.filter((id) => !slow.includes(id)).forEach((id) => tracker.ack(id)));
      h.flush();
      const expected = [
        ...m.map((id) => `0 send ${id}#1`),
        ...x.map((id) => `0 send ${id}#1`),
        ...m.filter((id) => !kept.includes(id)).map((id) => `1 ${id} acked`),
        ...n.map((id) => `2 send ${id}#1`),
        ...n.filter((id) => !slow.includes(id)).map((id) => `3 ${id} acked`),
        // x9..x5 expire at 6..10 (at 10 expiry wins over the resend); x0..x4 are resent in track order.
        ...[9, 8, 7, 6, 5].map((i) => `${15 - i} x${i} expired`),
        ...kept.map((id) => `10 send ${id}#2`),
        ...[0, 1, 2, 3, 4].map((i) => `10 send x${i}#2`),
        ...[4, 3, 2, 1, 0].map((i) => `${15 - i} x${i} expired`),
        ...slow.map((id) => `12 send ${id}#2`),
        ...kept.map((id) => `20 ${id} timed out`),
        ...slow.map((id) => `22 ${id} timed out`),
      ];
      // Sorted by time, stable: the log interleaves sends and settlements of one frame as they happened.
      expect(log).toEqual(
        expected
          .map((line, i) => [line, i] as const)
          .sort(byTime)
          .map(([line]) => line),
      );
      expect(tracker.size).toBe(0);
      // Idle again, the tracker starts from empty queues.
      tracker.track({ id: 'z' });
      tracker.ack('z');
      expect(log.slice(-2)).toEqual([`${testScheduler.now()} send z#1`, `${testScheduler.now()} z acked`]);
    });
  });

  it('reports size and pending ids in track order', () => {
    const { tracker } = setup();
    tracker.track(b);
    tracker.track(a);
    tracker.track(c);
    tracker.ack('a');
    expect(tracker.size).toBe(2);
    expect(tracker.pendingIds()).toEqual(['b', 'c']);
    expect(() => tracker.track(b)).toThrow(/already/);
    tracker.dispose();
  });

  it('throws a TypeError naming the option for invalid config or options', () => {
    const ok = { timeout: 3, maxRetries: 1, send: () => undefined, onSettled: () => undefined };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ timeout: 0 }, /timeout/],
      [{ timeout: NaN }, /timeout/],
      [{ maxRetries: -1 }, /maxRetries/],
      [{ maxRetries: 1.5 }, /maxRetries/],
      [{ send: 'x' }, /send/],
      [{ onSettled: undefined }, /onSettled/],
    ];
    for (const [patch, name] of bad) {
      expect(() => new AckTracker<Msg>({ ...ok, ...patch } as any)).toThrow(TypeError);
      expect(() => new AckTracker<Msg>({ ...ok, ...patch } as any)).toThrow(name);
    }
    expect(() => new AckTracker<Msg>(null as any)).toThrow(
      new TypeError('config must be an object; got null.'),
    );
    const tracker = new AckTracker<Msg>(ok);
    expect(() => tracker.track(a, { timeout: -1 })).toThrow(/timeout/);
    expect(() => tracker.track(a, { maxRetries: NaN })).toThrow(/maxRetries/);
    expect(() => tracker.track(a, { expiresAt: NaN })).toThrow(/expiresAt/);
    expect(() => tracker.track({} as Msg)).toThrow(/id/);
    expect(tracker.size).toBe(0);
  });
});
