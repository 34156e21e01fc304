import { MessagePriority } from '../protocol/enums';
import { ValidationError } from '../protocol/errors';
import { invalidOption, isPositiveNumber } from '../protocol/option-checks';
import { isMessagePriority, isNonEmptyString } from './queued-message';

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

type Check = readonly [name: string, expected: string, valid: (value: unknown) => boolean];

const PRIORITY = ['a MessagePriority (0-3)', isMessagePriority] as const;
const DURATION = ['a positive finite number of ms', isPositiveNumber] as const;
const TEXT = ['a non-empty string', isNonEmptyString] as const;

const CONFIG_CHECKS: readonly Check[] = [
  ['maxSize', 'a positive integer', (value) => Number.isSafeInteger(value) && (value as number) > 0],
  ['enablePersistence', 'a boolean', (value) => typeof value === 'boolean'],
  ['storageKey', ...TEXT],
  ['defaultPriority', ...PRIORITY],
  ['defaultTTL', ...DURATION],
];

/** Fills defaults and throws a `TypeError` naming the first invalid option. */
export function resolveMessageQueueConfig(config: Partial<MessageQueueConfig> = {}): MessageQueueConfig {
  const c: Record<string, unknown> = { ...DEFAULT_MESSAGE_QUEUE_CONFIG };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) c[key] = value;
  for (const [name, expected, valid] of CONFIG_CHECKS) {
    if (!valid(c[name])) throw invalidOption(`MessageQueueConfig.${name}`, expected, c[name]);
  }
  return c as unknown as MessageQueueConfig;
}

/**
 * Checks one `enqueue` call. Returns the error to reject with (never throws:
 * `enqueue` reports bad input as a rejected promise, not a synchronous throw).
 */
export function validateEnqueue(message: unknown, options: unknown): ValidationError | undefined {
  if (typeof message !== 'object' || message === null) {
    return invalid('message', 'an object { type, payload? }', message);
  }
  const type = (message as { type?: unknown }).type;
  if (!isNonEmptyString(type)) return invalid('type', TEXT[0], type);
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    return invalid('options', 'an object', options);
  }
  // Unrolled: this runs once per message.
  const { priority, ttl, id } = options as EnqueueOptions;
  if (priority !== undefined && !isMessagePriority(priority))
    return invalid('priority', PRIORITY[0], priority);
  if (ttl !== undefined && !isPositiveNumber(ttl)) return invalid('ttl', DURATION[0], ttl);
  if (id !== undefined && !isNonEmptyString(id)) return invalid('id', TEXT[0], id);
  return undefined;
}

/** The shared option wording, as a `ValidationError` on `field`. */
function invalid(field: string, expected: string, got: unknown): ValidationError {
  return new ValidationError(invalidOption(field, expected, got).message, field);
}
