import { MessagePriority } from '../protocol/enums';
import { ValidationError } from '../protocol/errors';
import { isMessagePriority } from './queued-message';

/** The seed's `MessageQueueConfig`. */
export interface MessageQueueConfig {
  /**
   * Upper bound on held messages: pending and leased (in flight) together.
   * @default 1000
   */
  maxSize: number;
  /**
   * Persist every accepted message to the storage adapter before `enqueue` resolves.
   * @default true
   */
  enablePersistence: boolean;
  /**
   * Prefix of every storage key this queue writes (`${storageKey}:m:${id}`, `${storageKey}:meta`).
   * @default 'reliable_ws_client'
   */
  storageKey: string;
  /**
   * Priority of a message enqueued without one.
   * @default MessagePriority.NORMAL
   */
  defaultPriority: MessagePriority;
  /**
   * Time-to-live in ms of a message enqueued without one.
   * @default 300000
   */
  defaultTTL: number;
}

export const DEFAULT_MESSAGE_QUEUE_CONFIG: Readonly<MessageQueueConfig> = Object.freeze({
  maxSize: 1000,
  enablePersistence: true,
  storageKey: 'reliable_ws_client',
  defaultPriority: MessagePriority.NORMAL,
  defaultTTL: 300000,
});

/** Per-message options of `MessageQueue.enqueue`. */
export interface EnqueueOptions {
  /** @default config.defaultPriority */
  priority?: MessagePriority;
  /** Time-to-live in ms. @default config.defaultTTL */
  ttl?: number;
  /** Use this id instead of a fresh one (it must not be held already). @default createMessageId() */
  id?: string;
}

/** The message handed to `enqueue`. */
export interface EnqueueMessage<T = unknown> {
  type: string;
  payload?: T;
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Fills defaults and throws a `TypeError` naming the first invalid option. */
export function resolveMessageQueueConfig(config: Partial<MessageQueueConfig> = {}): MessageQueueConfig {
  const c = { ...DEFAULT_MESSAGE_QUEUE_CONFIG };
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) (c as Record<string, unknown>)[key] = value;
  }
  if (!Number.isSafeInteger(c.maxSize) || c.maxSize < 1) {
    throw new TypeError(`MessageQueueConfig.maxSize must be a positive integer; got ${String(c.maxSize)}.`);
  }
  if (typeof c.enablePersistence !== 'boolean') {
    throw new TypeError(
      `MessageQueueConfig.enablePersistence must be a boolean; got ${String(c.enablePersistence)}.`,
    );
  }
  if (typeof c.storageKey !== 'string' || c.storageKey === '') {
    throw new TypeError(
      `MessageQueueConfig.storageKey must be a non-empty string; got ${String(c.storageKey)}.`,
    );
  }
  if (!isMessagePriority(c.defaultPriority)) {
    throw new TypeError(
      `MessageQueueConfig.defaultPriority must be a MessagePriority (0-3); got ${String(c.defaultPriority)}.`,
    );
  }
  if (!isPositiveFinite(c.defaultTTL)) {
    throw new TypeError(
      `MessageQueueConfig.defaultTTL must be a positive finite number of ms; got ${String(c.defaultTTL)}.`,
    );
  }
  return c;
}

/**
 * Checks one `enqueue` call. Returns the error to reject with (never throws:
 * `enqueue` reports bad input as a rejected promise, not a synchronous throw).
 */
export function validateEnqueue(
  message: unknown,
  options: EnqueueOptions | undefined,
): ValidationError | undefined {
  if (typeof message !== 'object' || message === null) {
    return new ValidationError(
      'enqueue(message): message must be an object `{ type, payload? }`.',
      'message',
    );
  }
  const type = (message as { type?: unknown }).type;
  if (typeof type !== 'string' || type === '') {
    return new ValidationError(
      `enqueue(message): message.type must be a non-empty string; got ${String(type)}.`,
      'type',
    );
  }
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    return new ValidationError('enqueue(message, options): options must be an object.', 'options');
  }
  if (options.priority !== undefined && !isMessagePriority(options.priority)) {
    return new ValidationError(
      `enqueue: priority must be a MessagePriority (0-3); got ${String(options.priority)}.`,
      'priority',
    );
  }
  if (options.ttl !== undefined && !isPositiveFinite(options.ttl)) {
    return new ValidationError(
      `enqueue: ttl must be a positive finite number of ms; got ${String(options.ttl)}.`,
      'ttl',
    );
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
    return new ValidationError(`enqueue: id must be a non-empty string; got ${String(options.id)}.`, 'id');
  }
  return undefined;
}
