import { Subscription, type SchedulerLike } from 'rxjs';
import { encodeFrame } from '../protocol/codec';
import { MessageType } from '../protocol/enums';
import type { AckEnvelope, NackEnvelope } from '../protocol/envelope';
import { MessageExpiredError, QueueFullError, type ReliableWebSocketError } from '../protocol/errors';
import { AckTracker, type AckOutcome } from '../operators/ack-tracker';
import type { MessageQueue } from '../queue/message-queue';
import { Outbox } from '../queue/outbox';
import type { QueuedMessage } from '../queue/queued-message';
import type { ClientEvent } from './client-events';
import type { DeliveryResult, SendOptions } from './delivery-result';
import type { FrameWriter } from './frame-writer';
import type { ClientStatsCounter } from './client-stats';

export interface DeliveryConfig {
  maxInFlight: number;
  messageTimeout: number;
  maxRetries: number;
  scheduler: SchedulerLike;
}

/** Characters an id can hold with no JSON escaping (createMessageId's alphabet, and more). */
const SAFE_ID = /^[\w.:-]*$/;

/** The caller of one accepted message. Built by {@link waiterOf} only: one shape, every field in the object itself. */
interface Waiter {
  resolve: (result: DeliveryResult) => void;
  /**
   * The payload already encoded by validation: spliced into the first frame instead of encoding
   * it again, then dropped (a resend encodes it anew) so an unacked message holds no copy.
   */
  payloadJson: string | undefined;
  timeout: number | undefined;
  maxRetries: number | undefined;
  /** Times written so far: what a settlement on close() reports. */
  attempts: number;
  /** Registered by `expect` and not yet `accepted`: an ending is held back until then. */
  early: DeliveryResult | true | undefined;
}

/**
 * A waiter with all its fields set at once: one added later would move the object to another
 * hidden class and its fields out of line, per message.
 */
function waiterOf(
  resolve: (result: DeliveryResult) => void,
  { timeout, maxRetries }: Pick<SendOptions, 'timeout' | 'maxRetries'>,
  payloadJson: string | undefined,
  early: true | undefined,
): Waiter {
  return { resolve, payloadJson, timeout, maxRetries, attempts: 0, early };
}

/**
 * Moves accepted messages from the persisted queue to the socket and back to
 * their callers: outbox (window of maxInFlight) -> ack tracker -> settlement.
 * Every accepted message settles exactly once, through `#finish`.
 *
 * Sent messages expire through the ack tracker; waiting ones through one
 * scheduler timer armed for the queue's earliest expiry, so each expires at its
 * exact TTL without a timer per message.
 */
export class Delivery {
  readonly #queue: MessageQueue;
  readonly #writer: FrameWriter;
  readonly #scheduler: SchedulerLike;
  readonly #emit: (event: ClientEvent) => void;
  readonly #watched: (type: ClientEvent['type']) => boolean;
  readonly #stats: ClientStatsCounter;
  readonly #outbox: Outbox;
  /** Settling in the queue can fail only when it deletes from storage. */
  readonly #persist: boolean;
  readonly #tracker: AckTracker<QueuedMessage>;
  readonly #waiters = new Map<string, Waiter>();
  readonly #subscription = new Subscription();
  #expiryTimer: Subscription | undefined;
  /** Reused for every `track` call (the tracker reads it at once): no object per message. */
  readonly #trackOptions: {
    timeout?: number | undefined;
    maxRetries?: number | undefined;
    expiresAt?: number;
  } = {};
  /** The last type written and the frame text around it: a run of one type encodes it once. */
  #lastType = '';
  /** `","name":<type JSON>,"payload":`, between a quoted id and the payload. */
  #typeSegment = '';
  /** When the expiry timer fires; Infinity exactly when there is none. */
  #expiryAt = Infinity;

  constructor(
    queue: MessageQueue,
    writer: FrameWriter,
    config: DeliveryConfig,
    emit: (event: ClientEvent) => void,
    stats: ClientStatsCounter,
    /** Whether an event of `type` has anyone to reach: per-message events are built only then. */
    watched: (type: ClientEvent['type']) => boolean = () => true,
  ) {
    this.#watched = watched;
    this.#queue = queue;
    this.#writer = writer;
    this.#scheduler = config.scheduler;
    this.#emit = emit;
    this.#stats = stats;
    this.#persist = queue.config.enablePersistence;
    this.#outbox = new Outbox(queue, {
      maxInFlight: config.maxInFlight,
      deliver: (message) => this.#track(message),
    });
    this.#tracker = new AckTracker<QueuedMessage>({
      timeout: config.messageTimeout,
      maxRetries: config.maxRetries,
      scheduler: config.scheduler,
      send: (message, attempt) => this.#write(message, attempt),
      onSettled: (outcome) => this.#settle(outcome),
    });
    const subscription = this.#subscription;
    subscription.add(
      queue.expired$.subscribe(({ id, expiresAt, createdAt }) =>
        this.#finish(id, 0, new MessageExpiredError(id, expiresAt - createdAt)),
      ),
    );
    subscription.add(queue.evicted$.subscribe(({ message, error }) => this.#finish(message.id, 0, error)));
    subscription.add(queue.errors$.subscribe((error) => this.#reportError(error)));
  }

  get inFlight(): number {
    return this.#tracker.size;
  }

  /**
   * Registers the caller of a message before the queue has it, so an ending that
   * comes before the caller hears of the acceptance (a same-tick eviction) is not
   * lost: it is held back until `accepted`. `forget` if the queue refuses it. `options`
   * overrides the ack timeout and retries; `payloadJson` is the payload as validation encoded it.
   */
  expect(
    messageId: string,
    resolve: (result: DeliveryResult) => void,
    options: Pick<SendOptions, 'timeout' | 'maxRetries'>,
    payloadJson: string | undefined,
  ): void {
    this.#waiters.set(messageId, waiterOf(resolve, options, payloadJson, true));
  }

  forget(messageId: string): void {
    this.#waiters.delete(messageId);
  }

  /**
   * Registers `resolve` as the caller of an accepted message, or confirms the `expect`ed one
   * (`resolve` undefined); called right after the queue accepted it.
   */
  accepted(message: QueuedMessage, resolve: ((result: DeliveryResult) => void) | undefined): void {
    let waiter: Waiter | undefined;
    if (resolve) this.#waiters.set(message.id, (waiter = waiterOf(resolve, {}, undefined, undefined)));
    else waiter = this.#waiters.get(message.id);
    const early = waiter?.early;
    if (early !== undefined) {
      waiter!.early = undefined;
      if (early !== true) return this.#report(early);
    }
    this.#outbox.notify();
    // Only waiting messages need the expiry timer; sent ones expire through the ack tracker.
    if (this.#queue.pendingCount > 0) this.#scheduleExpiry(message.expiresAt);
  }

  /** Restored messages have no caller: their outcomes are reported as events only. */
  restored(): void {
    this.#scheduleExpiry(this.#queue.nextExpiry());
    this.#outbox.notify();
  }

  /** The link is up: resend what was in flight (original order, same ids), then drain the queue. */
  online(): number {
    const resent = this.#tracker.size;
    this.#tracker.resume();
    this.#outbox.setGate(true);
    return resent;
  }

  /** The link is down: hold everything; nothing counts against retries meanwhile. */
  offline(): void {
    this.#outbox.setGate(false);
    this.#tracker.pause();
  }

  handleAck({ id, ids, response }: AckEnvelope): void {
    const tracker = this.#tracker;
    if (id !== undefined) tracker.ack(id, response);
    if (ids) for (const batched of ids) tracker.ack(batched);
  }

  handleNack({ id, code, message, retryAfter }: NackEnvelope & { id: string }): void {
    // Nothing ran and nothing was recorded (the server's dedupe store is unreachable, e.g. Redis down):
    // the message stays in flight and its ack deadline resends it, same id, as one more attempt.
    if (code === 'DEDUPE_UNAVAILABLE') return;
    this.#tracker.nack(id, code, message, retryAfter);
  }

  /**
   * The client is closing: every caller still waiting settles now, failed with
   * `error(messageId)`, and is reported as `messageFailed`. The queue is left as
   * it is: with persistence on the messages stay stored for the next client.
   */
  abandon(error: (messageId: string) => ReliableWebSocketError): void {
    for (const [id, waiter] of [...this.#waiters]) this.#finish(id, waiter.attempts, error(id));
  }

  dispose(): void {
    this.#subscription.unsubscribe();
    this.#cancelExpiry();
    this.#tracker.dispose();
    this.#outbox.dispose();
  }

  #track(message: QueuedMessage): void {
    const waiter = this.#waiters.get(message.id);
    // Undefined overrides fall back to the tracker's defaults: messageTimeout and maxRetries.
    const options = this.#trackOptions;
    options.timeout = waiter?.timeout;
    options.maxRetries = waiter?.maxRetries;
    options.expiresAt = message.expiresAt;
    this.#tracker.track(message, options);
    // Nothing left waiting: release the timer so an idle client holds no timer (a Node process can exit).
    if (this.#queue.pendingCount === 0) this.#cancelExpiry();
  }

  #write({ id, type, payload }: QueuedMessage, attempt: number): void {
    this.#stats.sent(attempt > 1);
    const waiter = this.#waiters.get(id);
    if (waiter) waiter.attempts = attempt;
    const payloadJson = waiter?.payloadJson;
    // The library's ids (createMessageId) need no escaping; any other id takes the codec's path.
    if (payloadJson === undefined || !SAFE_ID.test(id)) {
      this.#writer.write(encodeFrame({ type: MessageType.DATA, id, name: type, payload }));
      return;
    }
    waiter!.payloadJson = undefined;
    if (type !== this.#lastType) {
      this.#lastType = type;
      this.#typeSegment = `","name":${JSON.stringify(type)},"payload":`;
    }
    // In parts: the batch's join copies each into the frame, with no string per envelope before.
    this.#writer.writeParts('{"type":"data","id":"', id, this.#typeSegment, payloadJson, '}');
  }

  #settle(outcome: AckOutcome<QueuedMessage>): void {
    const { message, attempts } = outcome;
    const id = message.id;
    // The outcome stands even if forgetting it fails: the worst case is a resend after a restart,
    // which the server dedupes. The failure is still reported.
    const settled = this.#outbox.settle(id);
    if (this.#persist) settled.catch(this.#onSettleError);
    if (outcome.acknowledged) this.#finish(id, attempts, undefined, outcome.latency, outcome.response);
    // The tracker ends a message with the library's errors only (the writer never throws).
    else this.#finish(id, attempts, outcome.error as ReliableWebSocketError);
  }

  /**
   * How a message ended, built once: the caller's result and the event's detail
   * are the same object (one per message).
   */
  #finish(
    messageId: string,
    attempts: number,
    error: ReliableWebSocketError | undefined,
    latency?: number,
    response?: unknown,
  ): void {
    this.#report(
      error
        ? { acknowledged: false, messageId, attempts, error }
        : { acknowledged: true, messageId, attempts, latency, response },
    );
  }

  /** Counts and reports how a message ended, then resolves its caller. */
  #report(result: DeliveryResult): void {
    const messageId = result.messageId;
    const waiter = this.#waiters.get(messageId);
    if (waiter?.early) {
      waiter.early = result;
      return;
    }
    this.#waiters.delete(messageId);
    const stats = this.#stats;
    const { error } = result;
    const expired = error instanceof MessageExpiredError;
    if (!error) stats.acknowledged(result.latency!);
    else if (expired) stats.expired();
    else stats.failed(error instanceof QueueFullError);
    const type = error ? (expired ? 'messageExpired' : 'messageFailed') : 'messageAcknowledged';
    // The detail matches the type: { latency, response } with messageAcknowledged, { error } otherwise.
    if (this.#watched(type)) this.#emit({ type, detail: result } as ClientEvent);
    waiter?.resolve(result);
  }

  readonly #onSettleError = (error: unknown): void => this.#reportError(error);

  #reportError(error: unknown): void {
    this.#emit({
      type: 'error',
      detail: { error: error instanceof Error ? error : new Error(String(error)) },
    });
  }

  /** Arms the expiry timer for `deadline` unless it is already armed as early (undefined: none). */
  #scheduleExpiry(deadline = Infinity): void {
    if (!(deadline < this.#expiryAt)) return;
    this.#cancelExpiry();
    this.#expiryAt = deadline;
    this.#expiryTimer = this.#scheduler.schedule(
      () => {
        this.#expiryTimer = undefined;
        this.#expiryAt = Infinity;
        this.#queue.removeExpired();
        this.#scheduleExpiry(this.#queue.nextExpiry());
      },
      Math.max(0, deadline - this.#scheduler.now()),
    );
  }

  #cancelExpiry(): void {
    this.#expiryTimer?.unsubscribe();
    this.#expiryTimer = undefined;
    this.#expiryAt = Infinity;
  }
}
