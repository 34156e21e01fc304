// Fields are `declare`d and assigned in the constructor: same own, enumerable properties
// (transferable-error.ts copies them across tabs) without a second, class-field definition of each.

/**
 * Every error the library reports is a `ReliableWebSocketError` with a stable
 * string `code`; subclasses carry typed data. Codes are listed in docs/protocol.md.
 */
export class ReliableWebSocketError extends Error {
  declare readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** No ack arrived within the timeout after every allowed attempt. */
export class AckTimeoutError extends ReliableWebSocketError {
  declare readonly messageId: string;
  declare readonly attempts: number;
  declare readonly timeoutMs: number;

  constructor(messageId: string, attempts: number, timeoutMs: number) {
    super(
      'ACK_TIMEOUT',
      `No ack for ${messageId} after ${attempts} attempt(s) of ${timeoutMs} ms; raise messageTimeout or maxRetries.`,
    );
    this.messageId = messageId;
    this.attempts = attempts;
    this.timeoutMs = timeoutMs;
  }
}

/** The server refused the message; it is not retried. */
export class NackError extends ReliableWebSocketError {
  declare readonly messageId: string;
  declare readonly reason: string;
  declare readonly retryAfterMs: number | undefined;

  constructor(messageId: string, reason: string, message: string, retryAfterMs?: number) {
    super('NACK', `${messageId} refused (${reason}): ${message}`);
    this.messageId = messageId;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The message's time-to-live ran out before it was acknowledged. */
export class MessageExpiredError extends ReliableWebSocketError {
  declare readonly messageId: string;
  declare readonly ttlMs: number;

  constructor(messageId: string, ttlMs: number) {
    super('MESSAGE_EXPIRED', `${messageId} expired (TTL ${ttlMs} ms).`);
    this.messageId = messageId;
    this.ttlMs = ttlMs;
  }
}

/** The queue is full, or the message was evicted by a higher-priority one. */
export class QueueFullError extends ReliableWebSocketError {
  declare readonly maxSize: number;
  declare readonly messageId: string | undefined;
  declare readonly evicted: boolean;

  constructor(maxSize: number, messageId?: string, evicted = false) {
    super(
      'QUEUE_FULL',
      evicted
        ? `${messageId} evicted by a higher priority (queue full: ${maxSize}).`
        : `Queue full (${maxSize}); raise queueSize.`,
    );
    this.maxSize = maxSize;
    this.messageId = messageId;
    this.evicted = evicted;
  }
}

export class AuthenticationError extends ReliableWebSocketError {
  constructor(message = 'API key rejected; check apiKey.') {
    super('AUTHENTICATION_FAILED', message);
  }
}

/** A frame that does not follow the protocol. `reason` says which rule it broke. */
export class ProtocolError extends ReliableWebSocketError {
  declare readonly reason: ProtocolErrorReason;
  /** The id of the envelope at fault, when it could be read. */
  declare readonly messageId: string | undefined;

  constructor(
    reason: ProtocolErrorReason,
    message: string,
    options?: { cause?: unknown; messageId?: string },
  ) {
    super('PROTOCOL_ERROR', message, options);
    this.reason = reason;
    this.messageId = options?.messageId;
  }
}

export type ProtocolErrorReason =
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'INVALID_FIELD'
  | 'UNKNOWN_TYPE'
  | 'FORBIDDEN_KEY'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  | 'BINARY_FRAME'
  | 'UNEXPECTED';

/** Invalid input from the caller: nothing was sent or queued. */
export class ValidationError extends ReliableWebSocketError {
  declare readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super('VALIDATION_ERROR', message);
    this.field = field;
  }
}

export class HeartbeatTimeoutError extends ReliableWebSocketError {
  declare readonly missed: number;
  declare readonly afterMs: number;

  constructor(missed: number, afterMs: number) {
    super('HEARTBEAT_TIMEOUT', `${missed} ping(s) unanswered in ${afterMs} ms.`);
    this.missed = missed;
    this.afterMs = afterMs;
  }
}

/** The connection could not be (re)established, or was closed for good. */
export class ConnectionError extends ReliableWebSocketError {
  declare readonly closeCode: number | undefined;

  constructor(message: string, closeCode?: number, options?: { cause?: unknown }) {
    super('CONNECTION_FAILED', message, options);
    this.closeCode = closeCode;
  }
}

/** Storage is unavailable or over quota: durability is not what was asked for. */
export class StorageError extends ReliableWebSocketError {
  declare readonly reason: 'UNAVAILABLE' | 'QUOTA_EXCEEDED' | 'CORRUPT' | 'IO';

  constructor(reason: StorageError['reason'], message: string, options?: { cause?: unknown }) {
    super(reason === 'QUOTA_EXCEEDED' ? 'STORAGE_QUOTA_EXCEEDED' : 'STORAGE_ERROR', message, options);
    this.reason = reason;
  }
}
