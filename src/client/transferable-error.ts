import * as errors from '../protocol/errors';

/** An error as it crosses a BroadcastChannel: its class name, message and typed fields. */
export interface TransferredError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

export function transferError(error: Error): TransferredError {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value))
      fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

/** Rebuilds the library's error class on the receiving side, so `instanceof NackError` still holds. */
export function reviveError(transferred: TransferredError): Error {
  const known = (errors as Record<string, unknown>)[transferred.name];
  const prototype =
    typeof known === 'function' && known.prototype instanceof Error
      ? (known.prototype as Error)
      : Error.prototype;
  const error = Object.create(prototype) as Error;
  Object.assign(error, transferred.fields, { name: transferred.name, message: transferred.message });
  return error;
}
