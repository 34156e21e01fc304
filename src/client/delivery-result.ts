import type { MessagePriority } from '../protocol/enums';

/** How one message ended. Delivery failures resolve with `acknowledged: false` and a typed `error`. */
export interface DeliveryResult<R = unknown> {
  acknowledged: boolean;
  messageId: string;
  /** Times the message was written to a socket (resends after a reconnect are not counted). */
  attempts: number;
  /** First send to ack, ms. */
  latency?: number;
  /** What the server's handler returned. */
  response?: R;
  /** AckTimeoutError, NackError, MessageExpiredError, QueueFullError or ConnectionError. */
  error?: Error;
}

/** Per-message options of `send` and `sendWithAcknowledgement`. */
export interface SendOptions {
  /** @default the client's `defaultPriority` (NORMAL) */
  priority?: MessagePriority;
  /** Time-to-live, ms; must not exceed the server's dedupe window. @default the client's `defaultTTL` (300000) */
  ttl?: number;
  /** Ack timeout per attempt, ms. @default the client's `messageTimeout` */
  timeout?: number;
  /** Resends after an ack timeout. @default the client's `maxRetries` */
  maxRetries?: number;
}
