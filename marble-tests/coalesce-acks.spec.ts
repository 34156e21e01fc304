import { of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { coalesceAcks } from '../src/operators/coalesce-acks';

interface Point {
  stream: string;
  seq: number;
}
const keyOf = (p: Point): string => p.stream;
/** a, b, d: stream s at seq 1, 2, 3; c: stream t at seq 1. */
const points: Record<string, Point> = {
  a: { stream: 's', seq: 1 },
  b: { stream: 's', seq: 2 },
  c: { stream: 't', seq: 1 },
  d: { stream: 's', seq: 3 },
};
const { a, b, c, d } = points as Record<'a' | 'b' | 'c' | 'd', Point>;

describe('coalesceAcks', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
  });

  it('behaves as the TSDoc picture shows: by time, then the rest on completion', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-----c|', points);
      const subs = '       ^--------!';
      const expected = '   ----x----(y|)';
      expectObservable(source.pipe(coalesceAcks(keyOf, { maxCount: 3, maxDelayMs: 4 }))).toBe(expected, {
        x: [b],
        y: [c],
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('acks at most every 100 ms by default: one cumulative ack per stream', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 10ms b 10ms c 200ms d 1s |', points);
      const expected = '   100ms x 222ms y 900ms |';
      expectObservable(source.pipe(coalesceAcks(keyOf))).toBe(expected, { x: [b, c], y: [d] });
    });
  });

  it('acks at once when maxCount commits are pending, and restarts the delay after it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('abc-d------|', points);
      const expected = '   --x-----y--|';
      expectObservable(source.pipe(coalesceAcks(keyOf, { maxCount: 3, maxDelayMs: 4 }))).toBe(expected, {
        x: [b, c],
        y: [d],
      });
    });
  });

  it('defaults to 100 commits: the 100th acks without waiting', () => {
    const seen: Point[][] = [];
    const many = Array.from({ length: 250 }, (_, i) => ({ stream: 's', seq: i + 1 }));
    of(...many)
      .pipe(coalesceAcks(keyOf))
      .subscribe((acks) => seen.push(acks));
    expect(seen.map((acks) => acks.map((p) => p.seq))).toEqual([[100], [200], [250]]);
  });

  it('counts a commit weightOf(value) times: a batch commit stands for its messages', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const weighted = { a: { ...a, n: 2 }, b: { ...b, n: 1 }, d: { ...d, n: 5 } };
      const source = cold('a-b----d--|', weighted);
      const expected = '   --x----y--|';
      const acked = source.pipe(
        coalesceAcks<Point & { n: number }>(keyOf, { maxCount: 3, maxDelayMs: 100, weightOf: (p) => p.n }),
      );
      expectObservable(acked).toBe(expected, { x: [weighted.b], y: [weighted.d] });
    });
  });

  it('passes an error on at once, dropping what is pending', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-#', points);
      const subs = '       ^-!';
      expectObservable(source.pipe(coalesceAcks(keyOf, { maxDelayMs: 5 }))).toBe('--#');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('emits nothing and cancels its timer when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b------', points);
      const subs = '       ^--!';
      expectObservable(source.pipe(coalesceAcks(keyOf, { maxDelayMs: 5 })), '^--!').toBe('---');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('handles a synchronous source: counts, then flushes the rest on completion', () => {
    let result: Point[][] = [];
    of(a, b, c)
      .pipe(coalesceAcks(keyOf, { maxCount: 2 }), toArray())
      .subscribe((all) => (result = all));
    expect(result).toEqual([[b], [c]]);
  });

  it('keeps state per subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const acked = cold('a-b|', points).pipe(coalesceAcks(keyOf, { maxDelayMs: 1 }));
      expectObservable(acked).toBe(' -x-(y|)', { x: [a], y: [b] });
      expectObservable(acked).toBe(' -x-(y|)', { x: [a], y: [b] });
    });
  });

  it('uses the scheduler it is given', () => {
    const scheduler = new TestScheduler(() => undefined);
    const seen: Array<[number, Point[]]> = [];
    const source = scheduler.createColdObservable('a', points);
    source
      .pipe(coalesceAcks(keyOf, { maxDelayMs: 30 }, scheduler))
      .subscribe((acks) => seen.push([scheduler.now(), acks]));
    scheduler.flush();
    expect(seen).toEqual([[30, [a]]]);
  });

  it('throws a TypeError at creation for a bad config', () => {
    expect(() => coalesceAcks(keyOf, { maxCount: 0 })).toThrow(TypeError);
    expect(() => coalesceAcks(keyOf, { maxDelayMs: -1 })).toThrow(/maxDelayMs/);
    expect(() => coalesceAcks(undefined as never)).toThrow(/keyOf/);
  });
});
