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

/**
 * The only closes reconnecting cannot help, as the server refused this client rather than the
 * moment: POLICY_VIOLATION, AUTHENTICATION_FAILED, SESSION_REPLACED, ORIGIN_NOT_ALLOWED.
 */
const FINAL = [1008, 4001, 4003, 4007];

/** Unknown codes are treated as transient: a trading client should rather retry than give up. */
export function isRetryableClose(code: number): boolean {
  return !FINAL.includes(code);
}

export function closeCodeName(code: number): string {
  return (
    Object.keys(CloseCode).find((name) => CloseCode[name as CloseCodeName] === code) ?? `UNKNOWN_${code}`
  );
}
