import { MessagePriority } from '../protocol/enums';
import type { OutboundMessage } from '../protocol/envelope';
import { ValidationError } from '../protocol/errors';
import type { SendOptions } from './delivery-result';

const PRIORITIES = new Set<number>([
  MessagePriority.LOW,
  MessagePriority.NORMAL,
  MessagePriority.HIGH,
  MessagePriority.CRITICAL,
]);

/**
 * Refuses, before anything is queued, what could never be delivered: a
 * missing type, a payload JSON cannot carry or the server would refuse for
 * size, a TTL longer than the server remembers ids for (a retry after it
 * could be processed twice).
 */
export function validateOutbound(
  message: OutboundMessage,
  options: SendOptions,
  limits: { dedupeTtl: number; maxPayload: number; ttl: number },
): string | undefined {
  if (typeof message !== 'object' || message === null) {
    throw new ValidationError('A message must be an object `{ type, payload }`.', 'message');
  }
  if (typeof message.type !== 'string' || message.type.length === 0 || message.type.length > 128) {
    throw new ValidationError('`type` must be a string of 1 to 128 characters, e.g. `TRADE_SIGNAL`.', 'type');
  }
  let encoded: string | undefined;
  try {
    encoded = JSON.stringify(message.payload);
  } catch (cause) {
    throw new ValidationError(
      `\`payload\` cannot be encoded as JSON: ${(cause as Error).message}`,
      'payload',
    );
  }
  if (encoded !== undefined && encoded.length > limits.maxPayload - 512) {
    throw new ValidationError(
      `\`payload\` is ${encoded.length} characters; the server accepts frames up to ${limits.maxPayload} bytes.`,
      'payload',
    );
  }
  if (options.priority !== undefined && !PRIORITIES.has(options.priority)) {
    throw new ValidationError(
      `\`priority\` must be a MessagePriority (0 to 3), got ${String(options.priority)}.`,
      'priority',
    );
  }
  const { ttl } = limits;
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new ValidationError(`\`ttl\` must be a positive number of ms, got ${String(ttl)}.`, 'ttl');
  }
  if (ttl > limits.dedupeTtl) {
    throw new ValidationError(
      `\`ttl\` of ${ttl} ms exceeds the server's dedupe window of ${limits.dedupeTtl} ms; a retry after the window ` +
        'could be processed twice. Use a shorter ttl.',
      'ttl',
    );
  }
  for (const key of ['timeout', 'maxRetries'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || value < 0 || !Number.isFinite(value))) {
      throw new ValidationError(`\`${key}\` must be a non-negative number, got ${String(value)}.`, key);
    }
  }
  return encoded;
}
