import { isObservable, Observable } from 'rxjs';
import type { OperatorFunction, SchedulerLike } from 'rxjs';
import { AckTracker } from './ack-tracker';
import type { AckOutcome } from './ack-tracker';
import { invalidOption } from '../protocol/option-checks';

/** An answer from the peer: an ack (with an optional response) or a nack. */
export type AckSignal =
  | { id: string; response?: unknown }
  | { id: string; nack: { code: string; message: string; retryAfterMs?: number } };

/** Options of {@link ackWithTimeout}. */
export interface AckWithTimeoutConfig<M> {
  /** Acks and nacks from the peer; unknown, late and duplicate ids are ignored. */
  acks$: Observable<AckSignal>;
  /** Writes the frame; `attempt` starts at 1. */
  send: (message: M, attempt: number) => void;
  /** Ms to wait for the ack of each attempt. */
  timeout: number;
  /** Resends after the first attempt. */
  maxRetries: number;
  /** Clock and timer. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Sends each source message, resends it until acked (up to `1 + maxRetries`
 * attempts of `timeout` ms each) and emits how each one ended, in the order
 * they settle. A failed message is an outcome, not an error: the stream only
 * errors if the source or `acks$` does, and completes once the source has
 * completed and nothing is pending. A thin operator over {@link AckTracker}:
 * one Map and one timer per subscription, no observable per message.
 *
 * ```
 * timeout 3, maxRetries 1
 * source:   a-b--|
 * sends:    a-ba-b             a resent at 3, b at 5
 * acks$:    ----a---
 * result:   ----A---(B|)       A: a acked (attempts 2, latency 4), B: b failed with AckTimeoutError
 * ```
 *
 * ## Example
 * ```ts
 * const acks$ = new Subject<AckSignal>();
 * of({ id: 'm1' }, { id: 'm2' })
 *   .pipe(ackWithTimeout({ acks$, send: (m) => acks$.next({ id: m.id }), timeout: 1000, maxRetries: 3 }))
 *   .subscribe((o) => console.log(o.message.id, o.acknowledged));
 * // Output:
 * // m1 true
 * // m2 true
 * ```
 */
export function ackWithTimeout<M extends { id: string }>(
  config: AckWithTimeoutConfig<M>,
): OperatorFunction<M, AckOutcome<M>> {
  if (typeof config !== 'object' || config === null) throw invalidOption('config', 'an object', config);
  const { acks$ } = config;
  if (!isObservable(acks$)) throw invalidOption('acks$', 'an Observable', acks$);
  // A snapshot taken now; the tracker validates timeout, maxRetries and send now rather than at subscribe time.
  const trackerConfig = { ...config, onSettled: () => undefined };
  new AckTracker<M>(trackerConfig).dispose();

  return (source) =>
    new Observable<AckOutcome<M>>((subscriber) => {
      let sourceDone = false;
      const completeIfDone = (): void => {
        if (sourceDone && !tracker.size) subscriber.complete();
      };
      const error = (e: unknown): void => subscriber.error(e);
      const tracker: AckTracker<M> = new AckTracker<M>({
        ...trackerConfig,
        onSettled: (outcome) => {
          subscriber.next(outcome);
          completeIfDone();
        },
      });
      // Acks first: a send answered synchronously must find its ack listener.
      subscriber.add(
        acks$.subscribe({
          next: (signal) => {
            if ('nack' in signal) {
              const { code, message, retryAfterMs } = signal.nack;
              tracker.nack(signal.id, code, message, retryAfterMs);
            } else tracker.ack(signal.id, signal.response);
          },
          error,
        }),
      );
      // acks$ may have errored synchronously: then the source is never subscribed.
      if (!subscriber.closed) {
        subscriber.add(
          source.subscribe({
            next: (message) => {
              try {
                tracker.track(message);
              } catch (e) {
                error(e); // e.g. a duplicate id: the caller's bug, not a delivery outcome
              }
            },
            error,
            complete: () => {
              sourceDone = true;
              completeIfDone();
            },
          }),
        );
      }
      return () => tracker.dispose();
    });
}
