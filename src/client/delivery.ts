import { Subscription, type SchedulerLike } from 'rxjs';
import { encodeFrame } from '../protocol/codec';
import { MessageType } from '../protocol/enums';
import type { AckEnvelope, NackEnvelope } from '../protocol/envelope';
import { MessageExpiredError, QueueFullError } from '../protocol/errors';
import { AckTracker, type AckOutcome } from '../operators/ack-tracker';
import type { MessageQueue } from '../queue/message-queue';
import { Outbox } from '../queue/outbox';
import type { QueuedMessage } from '../queue/queued-message';
import type { ClientEvent } from './client-events';
import type { DeliveryResult } from './delivery-result';
import { ExpiryTimer } from './expiry-timer';
import type { FrameWriter } from './frame-writer';
import type { ClientStatsCounter } from './client-stats';

export interface DeliveryConfig {
  maxInFlight: number;
  messageTimeout: number;
  maxRetries: number;
  scheduler: SchedulerLike;
}

interface Waiter {
  resolve: (result: DeliveryResult) => void;
  /** The payload already encoded by validation: spliced into the frame instead of encoding it again. */
  payloadJson?: string | undefined;
  timeout?: number;
  maxRetries?: number;
}

/**
 * Moves accepted messages from the persisted queue to the socket and back to
 * their callers: outbox (window of maxInFlight) -> ack tracker -> settlement.
 * Every accepted message settles exactly once, through `settle`.
 */
export class Delivery {
  private readonly outbox: Outbox;
  private readonly tracker: AckTracker<QueuedMessage>;
  private readonly expiry: ExpiryTimer;
  private readonly waiters = new Map<string, Waiter>();
  private readonly subscription = new Subscription();

  constructor(
    private readonly queue: MessageQueue,
    private readonly writer: FrameWriter,
    private readonly config: DeliveryConfig,
    private readonly emit: (event: ClientEvent) => void,
    private readonly stats: ClientStatsCounter,
  ) {
    this.outbox = new Outbox(queue, { maxInFlight: config.maxInFlight });
    this.tracker = new AckTracker<QueuedMessage>({
      timeout: config.messageTimeout,
      maxRetries: config.maxRetries,
      scheduler: config.scheduler,
      send: (message, attempt) => this.write(message, attempt),
      onSettled: (outcome) => this.settle(outcome),
    });
    this.expiry = new ExpiryTimer(
      config.scheduler,
      () => this.queue.removeExpired(),
      () => this.queue.nextExpiry(),
    );
    this.subscription.add(this.outbox.drain$.subscribe((message) => this.track(message)));
    this.subscription.add(
      queue.expired$.subscribe((message) =>
        this.finish(
          message.id,
          0,
          { error: new MessageExpiredError(message.id, message.expiresAt - message.createdAt) },
          true,
        ),
      ),
    );
    this.subscription.add(
      queue.evicted$.subscribe(({ message, error }) => this.finish(message.id, 0, { error }, false)),
    );
    this.subscription.add(
      queue.errors$.subscribe((error) => this.emit({ type: 'error', detail: { error } })),
    );
  }

  get inFlight(): number {
    return this.tracker.size;
  }

  /** Registers the caller of an accepted message; called right after the queue accepted it. */
  accepted(message: QueuedMessage, waiter: Waiter | undefined): void {
    if (waiter) this.waiters.set(message.id, waiter);
    this.outbox.notify();
    // Only waiting messages need the expiry timer; sent ones expire through the ack tracker.
    if (this.queue.pendingCount > 0) this.expiry.schedule(message.expiresAt);
  }

  /** Restored messages have no caller: their outcomes are reported as events only. */
  restored(): void {
    const next = this.queue.nextExpiry();
    if (next !== undefined) this.expiry.schedule(next);
    this.outbox.notify();
  }

  /** The link is up: resend what was in flight (original order, same ids), then drain the queue. */
  online(): number {
    const resent = this.tracker.size;
    this.tracker.resume();
    this.outbox.setGate(true);
    return resent;
  }

  /** The link is down: hold everything; nothing counts against retries meanwhile. */
  offline(): void {
    this.outbox.setGate(false);
    this.tracker.pause();
  }

  handleAck(envelope: AckEnvelope): void {
    if (envelope.id !== undefined) this.tracker.ack(envelope.id, envelope.response);
    if (envelope.ids) for (const id of envelope.ids) this.tracker.ack(id);
  }

  handleNack(envelope: NackEnvelope & { id: string }): void {
    this.tracker.nack(envelope.id, envelope.code, envelope.message, envelope.retryAfter);
  }

  dispose(): void {
    this.subscription.unsubscribe();
    this.expiry.dispose();
    this.tracker.dispose();
    this.outbox.dispose();
  }

  private track(message: QueuedMessage): void {
    const waiter = this.waiters.get(message.id);
    this.tracker.track(message, {
      timeout: waiter?.timeout ?? this.config.messageTimeout,
      maxRetries: waiter?.maxRetries ?? this.config.maxRetries,
      expiresAt: message.expiresAt,
    });
    // Nothing left waiting: release the timer so an idle client holds no timer (a Node process can exit).
    if (this.queue.pendingCount === 0) this.expiry.dispose();
  }

  private write(message: QueuedMessage, attempt: number): void {
    this.stats.sent(attempt > 1);
    const payloadJson = this.waiters.get(message.id)?.payloadJson;
    this.writer.write(
      payloadJson === undefined
        ? encodeFrame({
            type: MessageType.DATA,
            id: message.id,
            name: message.type,
            payload: message.payload,
          })
        : `{"type":"data","id":${JSON.stringify(message.id)},"name":${JSON.stringify(message.type)},"payload":${payloadJson}}`,
    );
  }

  private settle(outcome: AckOutcome<QueuedMessage>): void {
    const { message } = outcome;
    // The outcome stands even if forgetting it fails: the worst case is a resend after a restart,
    // which the server dedupes. The failure is still reported.
    this.outbox.settle(message.id).catch((error: unknown) =>
      this.emit({
        type: 'error',
        detail: { error: error instanceof Error ? error : new Error(String(error)) },
      }),
    );
    if (outcome.acknowledged) {
      this.finish(
        message.id,
        outcome.attempts,
        { latency: outcome.latency, response: outcome.response },
        false,
      );
    } else {
      this.finish(
        message.id,
        outcome.attempts,
        { error: outcome.error },
        outcome.error instanceof MessageExpiredError,
      );
    }
  }

  private finish(
    messageId: string,
    attempts: number,
    result: { latency?: number; response?: unknown; error?: Error },
    expired: boolean,
  ): void {
    const waiter = this.waiters.get(messageId);
    this.waiters.delete(messageId);
    const acknowledged = result.error === undefined;
    if (acknowledged) {
      this.stats.acknowledged(result.latency ?? 0);
      const detail = { messageId, attempts, latency: result.latency ?? 0, response: result.response };
      this.emit({ type: 'messageAcknowledged', detail });
    } else if (expired) {
      this.stats.expired();
      this.emit({ type: 'messageExpired', detail: { messageId, attempts, error: result.error! } });
    } else {
      this.stats.failed(result.error instanceof QueueFullError);
      this.emit({ type: 'messageFailed', detail: { messageId, attempts, error: result.error! } });
    }
    waiter?.resolve({ acknowledged, messageId, attempts, ...result });
  }
}
