/**
 * Every close code either side uses, and whether the client should reconnect
 * after it. One table so client and server cannot disagree.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  PROTOCOL_ERROR: 4000,
  AUTHENTICATION_FAILED: 4001,
  HANDSHAKE_TIMEOUT: 4002,
  SESSION_REPLACED: 4003,
  RATE_LIMITED: 4004,
  TOO_MANY_CONNECTIONS: 4005,
  HEARTBEAT_TIMEOUT: 4006,
  ORIGIN_NOT_ALLOWED: 4007,
  SLOW_CONSUMER: 4008,
} as const;

export type CloseCodeName = keyof typeof CloseCode;

interface CloseCodeInfo {
  readonly name: CloseCodeName;
  /** Reconnecting could help: the cause is transient or on the server's side. */
  readonly retryable: boolean;
}

const TABLE: Record<number, CloseCodeInfo> = {
  1000: { name: 'NORMAL', retryable: true },
  1001: { name: 'GOING_AWAY', retryable: true },
  1006: { name: 'ABNORMAL', retryable: true },
  1008: { name: 'POLICY_VIOLATION', retryable: false },
  1009: { name: 'MESSAGE_TOO_BIG', retryable: true },
  1011: { name: 'INTERNAL_ERROR', retryable: true },
  1012: { name: 'SERVICE_RESTART', retryable: true },
  1013: { name: 'TRY_AGAIN_LATER', retryable: true },
  4000: { name: 'PROTOCOL_ERROR', retryable: true },
  4001: { name: 'AUTHENTICATION_FAILED', retryable: false },
  4002: { name: 'HANDSHAKE_TIMEOUT', retryable: true },
  4003: { name: 'SESSION_REPLACED', retryable: false },
  4004: { name: 'RATE_LIMITED', retryable: true },
  4005: { name: 'TOO_MANY_CONNECTIONS', retryable: true },
  4006: { name: 'HEARTBEAT_TIMEOUT', retryable: true },
  4007: { name: 'ORIGIN_NOT_ALLOWED', retryable: false },
  4008: { name: 'SLOW_CONSUMER', retryable: true },
};

/** Unknown codes are treated as transient: a trading client should rather retry than give up. */
export function isRetryableClose(code: number): boolean {
  return TABLE[code]?.retryable ?? true;
}

export function closeCodeName(code: number): string {
  return TABLE[code]?.name ?? `UNKNOWN_${code}`;
}
