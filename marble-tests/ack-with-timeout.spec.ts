import { NEVER, Observable, of, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ackWithTimeout } from '../src/operators/ack-with-timeout';
import type { AckSignal } from '../src/operators/ack-with-timeout';
import type { AckOutcome } from '../src/operators/ack-tracker';
import { AckTimeoutError, NackError } from '../src/protocol/errors';

interface Msg {
  id: string;
}
const a: Msg = { id: 'a' };
const b: Msg = { id: 'b' };
const c: Msg = { id: 'c' };
const msgs = { a, b, c };

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

/** `send` that records "a1" (message a, attempt 1) on an observable. */
function recorder() {
  const sends = new Subject<string>();
  return { sends, send: (m: Msg, attempt: number) => sends.next(`${m.id}${attempt}`) };
}

describe('ackWithTimeout', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
  });

  it('behaves as the TSDoc picture shows', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { sends, send } = recorder();
      const acks = hot<AckSignal>('  ----a---', { a: { id: 'a' } });
      const source = cold('          a-b--|', msgs);
      const expectedSends = '        a-bA-B  ';
      const expected = '             ----A---(B|)';
      expectObservable(sends).toBe(expectedSends, { a: 'a1', b: 'b1', A: 'a2', B: 'b2' });
      expectObservable(source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 3, maxRetries: 1 }))).toBe(
        expected,
        {
          A: acked(a, 2, 4),
          B: timedOut(b, 2, 3),
        },
      );
    });
  });

  it('emits each ack as an outcome and completes once the source is done and nothing is pending', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const { send } = recorder();
      const acks = hot<AckSignal>('  --a-b---', { a: { id: 'a', response: 'ok' }, b: { id: 'b' } });
      const source = cold('          ab|     ', msgs);
      const sourceSubs = '           ^-!     ';
      const acksSubs = '             ^---!   ';
      const expected = '             --A-(B|)';
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 10, maxRetries: 0 }));
      expectObservable(result).toBe(expected, { A: acked(a, 1, 2, 'ok'), B: acked(b, 1, 3) });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      expectSubscriptions(acks.subscriptions).toBe(acksSubs);
    });
  });

  it('resends on timeout and reports AckTimeoutError after maxRetries, without erroring the stream', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { sends, send } = recorder();
      const acks = hot<AckSignal>('-');
      const source = cold('          ab|        ', msgs);
      const expectedSends = '        xy-XY-ZW---';
      const expected = '             ---------A(B|)';
      expectObservable(sends).toBe(expectedSends, { x: 'a1', y: 'b1', X: 'a2', Y: 'b2', Z: 'a3', W: 'b3' });
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 3, maxRetries: 2 }));
      expectObservable(result).toBe(expected, { A: timedOut(a, 3, 3), B: timedOut(b, 3, 3) });
    });
  });

  it('reports a nack as NackError at once, with no retry', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { sends, send } = recorder();
      const nack = { code: 'INVALID', message: 'bad volume' };
      const acks = hot<AckSignal>('  -n------', { n: { id: 'a', nack } });
      const source = cold('          a|      ', msgs);
      const expectedSends = '        x-------';
      const expected = '             -(N|)   ';
      expectObservable(sends).toBe(expectedSends, { x: 'a1' });
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 3, maxRetries: 3 }));
      expectObservable(result).toBe(expected, {
        N: failed(a, 1, new NackError('a', 'INVALID', 'bad volume')),
      });
    });
  });

  it('ignores late and duplicate acks', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { send } = recorder();
      // b is acked twice; a is acked after it already timed out; z was never sent.
      const acks = hot<AckSignal>('  --bbz--a-', { a: { id: 'a' }, b: { id: 'b' }, z: { id: 'z' } });
      const source = cold('          ab------|', msgs);
      const expected = '             --B--A--|';
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 5, maxRetries: 0 }));
      expectObservable(result).toBe(expected, { B: acked(b, 1, 1), A: timedOut(a, 1, 5) });
    });
  });

  it('stops its timer and unsubscribes source and acks$ when unsubscribed early', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const { sends, send } = recorder();
      const acks = hot<AckSignal>('  --------');
      const source = cold('          a-------', msgs);
      const unsub = '                ---!    ';
      const sourceSubs = '           ^--!    ';
      const acksSubs = '             ^--!    ';
      const expectedSends = '        x-y-----';
      expectObservable(sends).toBe(expectedSends, { x: 'a1', y: 'a2' });
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 2, maxRetries: 5 }));
      expectObservable(result, unsub).toBe('--------');
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      expectSubscriptions(acks.subscriptions).toBe(acksSubs);
    });
  });

  it('works with a synchronous source answered synchronously', () => {
    testScheduler.run(({ expectObservable }) => {
      const acks = new Subject<AckSignal>();
      const send = (m: Msg) => acks.next({ id: m.id, response: m.id.toUpperCase() });
      const result = of(a, b, c).pipe(ackWithTimeout({ acks$: acks, send, timeout: 5, maxRetries: 1 }));
      expectObservable(result).toBe('(ABC|)', {
        A: acked(a, 1, 0, 'A'),
        B: acked(b, 1, 0, 'B'),
        C: acked(c, 1, 0, 'C'),
      });
    });
  });

  it('keeps pending messages and timers per subscription', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { sends, send } = recorder();
      const acks = hot<AckSignal>('-');
      const source = cold('          a-|         ', msgs);
      const sub1 = '                 ^-----------';
      const sub2 = '                 --^---------';
      const expectedSends = '        x-y-X-Y-----';
      const expected1 = '            --------(F|)';
      const expected2 = '            ----------(F|)';
      expectObservable(sends).toBe(expectedSends, { x: 'a1', y: 'a1', X: 'a2', Y: 'a2' });
      // Both track the same id: each subscription has its own tracker, attempts and timer.
      const result = source.pipe(ackWithTimeout({ acks$: acks, send, timeout: 4, maxRetries: 1 }));
      expectObservable(result, sub1).toBe(expected1, { F: timedOut(a, 2, 4) });
      expectObservable(result, sub2).toBe(expected2, { F: timedOut(a, 2, 4) });
    });
  });

  it('runs its timer on an explicit scheduler', () => {
    // Not in run mode: only the scheduler passed in is virtual (10 per frame).
    const { send } = recorder();
    const acks = testScheduler.createHotObservable<AckSignal>('-----a--', { a: { id: 'a' } });
    const source = testScheduler.createColdObservable('a|', msgs);
    const result = source.pipe(
      ackWithTimeout({ acks$: acks, send, timeout: 30, maxRetries: 1, scheduler: testScheduler }),
    );
    testScheduler.expectObservable(result).toBe('-----(A|)', { A: acked(a, 2, 50) });
    testScheduler.flush();
  });

  it('propagates an error of the source or of acks$', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { send } = recorder();
      const quiet = hot<AckSignal>('-');
      const broken = hot<AckSignal>('  --#', undefined, 'acks gone');
      const source = cold('            a--#', msgs, 'source gone');
      const options = { send, timeout: 10, maxRetries: 0 };
      expectObservable(source.pipe(ackWithTimeout({ acks$: quiet, ...options }))).toBe(
        '---#',
        undefined,
        'source gone',
      );
      expectObservable(source.pipe(ackWithTimeout({ acks$: broken, ...options }))).toBe(
        '--#',
        undefined,
        'acks gone',
      );
    });
  });

  it('errors the stream on a duplicate id from the source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { send } = recorder();
      const source = cold('aa', msgs);
      const result = source.pipe(ackWithTimeout({ acks$: NEVER, send, timeout: 10, maxRetries: 0 }));
      expectObservable(result).toBe('-#', undefined, new Error('Message a is already tracked.'));
    });
  });

  it('throws a TypeError naming the option for invalid config', () => {
    const ok = { acks$: NEVER as Observable<AckSignal>, send: () => undefined, timeout: 5, maxRetries: 1 };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ acks$: undefined }, /acks\$/],
      [{ timeout: 0 }, /timeout/],
      [{ maxRetries: -2 }, /maxRetries/],
      [{ send: null }, /send/],
    ];
    for (const [patch, name] of bad) {
      expect(() => ackWithTimeout<Msg>({ ...ok, ...patch } as any)).toThrow(TypeError);
      expect(() => ackWithTimeout<Msg>({ ...ok, ...patch } as any)).toThrow(name);
    }
    expect(() => ackWithTimeout<Msg>(undefined as any)).toThrow(
      new TypeError('config must be an object; got undefined.'),
    );
  });
});
