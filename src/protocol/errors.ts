/**
 * Every error the library reports is a `ReliableWebSocketError` with a stable
 * string `code`; subclasses carry typed data. Codes are listed in docs/protocol.md.
 */
export class ReliableWebSocketError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** No ack arrived within the timeout after every allowed attempt. */
export class AckTimeoutError extends ReliableWebSocketError {
  constructor(
    readonly messageId: string,
    readonly attempts: number,
    readonly timeoutMs: number,
  ) {
    super(
      'ACK_TIMEOUT',
      `Message ${messageId} was not acknowledged after ${attempts} attempt(s) of ${timeoutMs} ms each; ` +
        'raise `messageTimeout` or `maxRetries` if the server is slow.',
    );
  }
}

/** The server refused the message; it is not retried. */
export class NackError extends ReliableWebSocketError {
  constructor(
    readonly messageId: string,
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super('NACK', `Message ${messageId} was rejected by the server (${reason}): ${message}`);
  }
}

/** The message's time-to-live ran out before it was acknowledged. */
export class MessageExpiredError extends ReliableWebSocketError {
  constructor(
    readonly messageId: string,
    readonly ttlMs: number,
  ) {
    super('MESSAGE_EXPIRED', `Message ${messageId} expired after its TTL of ${ttlMs} ms without an ack.`);
  }
}

/** The queue is full, or the message was evicted by a higher-priority one. */
export class QueueFullError extends ReliableWebSocketError {
  constructor(
    readonly maxSize: number,
    readonly messageId?: string,
    readonly evicted = false,
  ) {
    super(
      'QUEUE_FULL',
      evicted
        ? `Message ${messageId} was evicted by a higher-priority message: the queue is full (${maxSize}).`
        : `The queue is full (${maxSize} unsettled messages); raise \`queueSize\` or wait for acks.`,
    );
  }
}

export class AuthenticationError extends ReliableWebSocketError {
  constructor(message = 'The server rejected the API key; check `apiKey`. Reconnection stopped.') {
    super('AUTHENTICATION_FAILED', message);
  }
}

/** A frame that does not follow the protocol. `reason` says which rule it broke. */
export class ProtocolError extends ReliableWebSocketError {
  /** The id of the envelope at fault, when it could be read. */
  readonly messageId: string | undefined;

  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
    options?: { cause?: unknown; messageId?: string },
  ) {
    super('PROTOCOL_ERROR', message, options);
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
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('VALIDATION_ERROR', message);
  }
}

export class HeartbeatTimeoutError extends ReliableWebSocketError {
  constructor(
    readonly missed: number,
    readonly afterMs: number,
  ) {
    super(
      'HEARTBEAT_TIMEOUT',
      `No heartbeat answer for ${missed} consecutive ping(s) (${afterMs} ms); the link is dead.`,
    );
  }
}

/** The connection could not be (re)established, or was closed for good. */
export class ConnectionError extends ReliableWebSocketError {
  constructor(
    message: string,
    readonly closeCode?: number,
    options?: { cause?: unknown },
  ) {
    super('CONNECTION_FAILED', message, options);
  }
}

/** Storage is unavailable or over quota: durability is not what was asked for. */
export class StorageError extends ReliableWebSocketError {
  constructor(
    readonly reason: 'UNAVAILABLE' | 'QUOTA_EXCEEDED' | 'CORRUPT' | 'IO',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason === 'QUOTA_EXCEEDED' ? 'STORAGE_QUOTA_EXCEEDED' : 'STORAGE_ERROR', message, options);
  }
}
