import type { MessagePriority } from '../protocol/enums';
import type { ReliableWebSocketError } from '../protocol/errors';

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
  /**
   * Why it was not acknowledged, with a stable `code`: AckTimeoutError
   * (`ACK_TIMEOUT`), NackError (`NACK`), MessageExpiredError (`MESSAGE_EXPIRED`),
   * QueueFullError (`QUEUE_FULL`) or ConnectionError (`CONNECTION_FAILED`).
   */
  error?: ReliableWebSocketError;
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
