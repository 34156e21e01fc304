import type { OutboundMessage } from '../protocol/envelope';
import { ValidationError } from '../protocol/errors';
import { invalidOption, isPositiveNumber } from '../protocol/option-checks';
import { isMessagePriority } from '../queue/queued-message';
import type { SendOptions } from './delivery-result';

/** What a message `type` and a `clientId` must be. */
export const SHORT_TEXT = 'a string of 1 to 128 characters';

export function isShortText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128;
}

/** A ValidationError for `field`, worded like every invalid option. */
function invalid(field: string, expected: string, got: unknown): ValidationError {
  return new ValidationError(invalidOption(field, expected, got).message, field);
}

/**
 * Refuses, before anything is queued, what could never be delivered: a
 * missing type, a payload JSON cannot carry or the server would refuse for
 * size, a TTL longer than the server remembers ids for (a retry after it
 * could be processed twice). Returns the payload encoded as JSON.
 */
export function validateOutbound(
  message: OutboundMessage,
  options: SendOptions,
  ttl: number,
  { dedupeTtl, maxPayload }: { dedupeTtl: number; maxPayload: number },
): string | undefined {
  if (typeof message !== 'object' || message === null)
    throw invalid('message', 'an object { type, payload }', message);
  const { type } = message;
  if (!isShortText(type)) throw invalid('type', SHORT_TEXT, type);
  let encoded: string | undefined;
  try {
    encoded = JSON.stringify(message.payload);
  } catch (cause) {
    throw new ValidationError(`payload is not JSON: ${(cause as Error).message}`, 'payload');
  }
  // 512 bytes of headroom for the envelope around the payload.
  if (encoded && encoded.length > maxPayload - 512)
    throw new ValidationError(
      `payload of ${encoded.length} characters is over the server's ${maxPayload}-byte frames.`,
      'payload',
    );
  const { priority } = options;
  if (priority !== undefined && !isMessagePriority(priority))
    throw invalid('priority', 'a MessagePriority', priority);
  if (!isPositiveNumber(ttl)) throw invalid('ttl', 'a positive finite number', ttl);
  if (ttl > dedupeTtl)
    throw new ValidationError(
      `ttl ${ttl} ms exceeds the server's dedupe window (${dedupeTtl} ms): a late retry could be processed twice.`,
      'ttl',
    );
  for (const key of ['timeout', 'maxRetries'] as const) {
    const value = options[key];
    if (value !== undefined && value !== 0 && !isPositiveNumber(value))
      throw invalid(key, 'a finite number >= 0', value);
  }
  return encoded;
}
