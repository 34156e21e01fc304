import { concatWith, defer, from, Observable, share, Subject, Subscription, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { retryBackoff as theirRetryBackoff } from 'backoff-rxjs';
import type { RetryBackoffConfig as TheirConfig } from 'backoff-rxjs';
import { retryBackoff } from '../src/operators/retry-backoff';

/**
 * Differential spec: the same sources go through backoff-rxjs 7's `retryBackoff`
 * and ours; values, their frames, errors and the source's subscription log must
 * be identical. backoff-rxjs times its waits on the async scheduler, which
 * `TestScheduler.run` virtualises, so both run in the same virtual clock.
 */

type Note = [frame: number, kind: 'N' | 'E' | 'C', value?: unknown];

interface Source {
  name: string;
  /** Subscription k uses marbles[min(k, last)]: lets later attempts behave differently. */
  marbles: string[];
  errorValue?: unknown;
}

const sources: Source[] = [
  { name: 'values then error', marbles: ['--1-2-3-#'] },
  { name: 'async error only', marbles: ['-#'] },
  { name: 'synchronous error', marbles: ['#'] },
  { name: 'synchronous values then error', marbles: ['(12#)'] },
  { name: 'completes', marbles: ['--1--|'] },
  { name: 'empty', marbles: ['|'] },
  { name: 'never', marbles: ['-'] },
  { name: 'fails twice then completes', marbles: ['-#', '--#', '-1-2|'] },
  { name: 'fails, emits and fails, then completes', marbles: ['--#', '-1-#', '-1-2-#', '---#', '3|'] },
  { name: 'fatal error on the third attempt', marbles: ['-#', '-1#', '--#'], errorValue: 'fatal' },
  { name: 'long-lived then error', marbles: ['-a-b-c-d-e-f-#', '#'] },
];

const configs: Array<{ name: string; config: number | TheirConfig }> = [
  { name: 'number 1', config: 1 },
  { name: 'number 3', config: 3 },
  { name: 'number 0', config: 0 },
  { name: 'maxRetries 3', config: { initialInterval: 1, maxRetries: 3 } },
  { name: 'maxRetries 0', config: { initialInterval: 2, maxRetries: 0 } },
  { name: 'maxRetries 2.5 (non-integer)', config: { initialInterval: 1, maxRetries: 2.5 } },
  { name: 'maxInterval 2', config: { initialInterval: 1, maxInterval: 2 } },
  { name: 'maxInterval 5, maxRetries 4', config: { initialInterval: 3, maxInterval: 5, maxRetries: 4 } },
  { name: 'maxInterval 0', config: { initialInterval: 4, maxInterval: 0, maxRetries: 5 } },
  { name: 'shouldRetry', config: { initialInterval: 1, shouldRetry: (e: unknown) => e !== 'fatal' } },
  { name: 'shouldRetry never', config: { initialInterval: 1, shouldRetry: () => false } },
  {
    name: 'linear backoffDelay',
    config: { initialInterval: 1, backoffDelay: (i: number, d: number) => d * (i + 1) },
  },
  {
    name: 'constant backoffDelay',
    config: { initialInterval: 2, backoffDelay: (_i: number, d: number) => d },
  },
  { name: 'negative backoffDelay', config: { initialInterval: 1, backoffDelay: () => -5, maxRetries: 6 } },
  { name: 'resetOnSuccess', config: { initialInterval: 1, resetOnSuccess: true } },
  {
    name: 'resetOnSuccess, maxRetries 2',
    config: { initialInterval: 1, resetOnSuccess: true, maxRetries: 2 },
  },
  {
    name: 'everything',
    config: {
      initialInterval: 2,
      maxRetries: 4,
      maxInterval: 6,
      resetOnSuccess: true,
      shouldRetry: (e: unknown) => e !== 'fatal',
      backoffDelay: (i: number, d: number) => d + 3 * i,
    },
  },
];

const UNSUB_FRAME = 90;

function makeScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Subscribes at frame 0, unsubscribes at UNSUB_FRAME, records every notification with its frame. */
function record<T>(scheduler: TestScheduler, result: Observable<T>): Note[] {
  const notes: Note[] = [];
  let subscription: Subscription | undefined;
  scheduler.schedule(() => {
    subscription = result.subscribe({
      next: (v) => notes.push([scheduler.now(), 'N', v]),
      error: (e) => notes.push([scheduler.now(), 'E', e]),
      complete: () => notes.push([scheduler.now(), 'C']),
    });
  }, 0);
  scheduler.schedule(() => subscription?.unsubscribe(), UNSUB_FRAME);
  return notes;
}

function runThrough(source: Source, operator: (s: Observable<string>) => Observable<string>) {
  const scheduler = makeScheduler();
  let notes: Note[] = [];
  let logs: unknown[] = [];
  scheduler.run(({ cold, flush }) => {
    const colds = source.marbles.map((m) => cold<string>(m, undefined, source.errorValue));
    let k = 0;
    const deferred = defer(() => colds[Math.min(k++, colds.length - 1)]);
    notes = record(scheduler, operator(deferred));
    flush();
    logs = colds.map((c) => c.subscriptions);
  });
  return { notes, logs };
}

describe('retryBackoff compatibility with backoff-rxjs 7', () => {
  for (const { name: configName, config } of configs) {
    describe(`config: ${configName}`, () => {
      for (const source of sources) {
        it(`matches on a source that ${source.name}`, () => {
          const theirs = runThrough(source, theirRetryBackoff(config));
          const ours = runThrough(source, retryBackoff<string>(config));
          expect(theirs.notes.length + theirs.logs.flat().length).toBeGreaterThan(0);
          expect(ours.notes).toEqual(theirs.notes);
          expect(ours.logs).toEqual(theirs.logs);
        });
      }
    });
  }

  it('calls shouldRetry the same number of times with the same errors', () => {
    const source: Source = { name: '', marbles: ['-#', '--#', '-#', '#'], errorValue: 'boom' };
    const theirSpy = jest.fn((_e: unknown) => true);
    const ourSpy = jest.fn((_e: unknown) => true);
    runThrough(source, theirRetryBackoff({ initialInterval: 1, maxRetries: 3, shouldRetry: theirSpy }));
    runThrough(source, retryBackoff<string>({ initialInterval: 1, maxRetries: 3, shouldRetry: ourSpy }));
    expect(theirSpy.mock.calls).toHaveLength(3);
    expect(ourSpy.mock.calls).toEqual(theirSpy.mock.calls);
  });

  it('matches on a synchronous multicast source (the backoff-rxjs spec case)', () => {
    const ERR = new Error('bad!');
    const run = (op: (s: Observable<number>) => Observable<number>) => {
      const scheduler = makeScheduler();
      let notes: Note[] = [];
      scheduler.run(({ flush }) => {
        const source = from([1, 2, 3]).pipe(
          concatWith(throwError(() => ERR)),
          share({ connector: () => new Subject<number>() }),
        );
        notes = record(scheduler, op(source));
        flush();
      });
      return notes;
    };
    const theirs = run(theirRetryBackoff({ initialInterval: 1, maxRetries: 4 }));
    const ours = run(retryBackoff<number>({ initialInterval: 1, maxRetries: 4 }));
    expect(theirs).toHaveLength(16);
    expect(ours).toEqual(theirs);
  });
});
