import { MessagePriority } from '../protocol/enums';

/** One accepted message as the queue holds and persists it. */
export interface QueuedMessage<T = unknown> {
  /** Unique across processes and restarts (see {@link createMessageId}). */
  id: string;
  /** The application's message type, e.g. `TRADE_SIGNAL`. */
  type: string;
  payload: T;
  priority: MessagePriority;
  /** Clock reading (`scheduler.now()`) when the message was accepted. */
  createdAt: number;
  /** `createdAt + ttl`: from this instant on the message is expired. */
  expiresAt: number;
  /** Acceptance order; breaks ties within one priority (FIFO). */
  seq: number;
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** True for the four `MessagePriority` values (and nothing else, not even their names). */
export function isMessagePriority(value: unknown): value is MessagePriority {
  return (
    Number.isInteger(value) &&
    (value as number) >= MessagePriority.LOW &&
    (value as number) <= MessagePriority.CRITICAL
  );
}

/** Checks a record read back from storage before trusting it. */
export function isQueuedMessage(value: unknown): value is QueuedMessage {
  const m = value as Partial<Record<keyof QueuedMessage, unknown>> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    isNonEmptyString(m.id) &&
    isNonEmptyString(m.type) &&
    isMessagePriority(m.priority) &&
    Number.isFinite(m.createdAt) &&
    Number.isFinite(m.expiresAt) &&
    Number.isSafeInteger(m.seq)
  );
}

/** The process's random part and the '-' after it, as one string: an id is then one concatenation, not two. */
let prefix: string | undefined;
let counter = 0;

/**
 * A message id unique across restarts and processes: 64 random bits drawn once
 * per process, then a base-36 counter. No clock, no per-call randomness: it is
 * on the hot path.
 *
 * ## Example
 * ```ts
 * createMessageId();
 * // Output: '1k0z3f9q2m0a4b7c-0' (prefix differs per process)
 * ```
 */
export function createMessageId(): string {
  // Drawn lazily so importing the module has no side effect.
  prefix ??= `${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(36).padStart(2, '0')).join('')}-`;
  return prefix + (counter++).toString(36);
}
