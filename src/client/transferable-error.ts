import {
  AckTimeoutError,
  ConnectionError,
  MessageExpiredError,
  NackError,
  QueueFullError,
  ReliableWebSocketError,
} from '../protocol/errors';

/** An error as it crosses a BroadcastChannel: its class name, message and data fields. */
export interface TransferredError {
  name: string;
  message: string;
  [field: string]: unknown;
}

// The errors a delivery ends with (DeliveryResult.error), matched by the class's own name, which
// each copies into `name` (so a minified bundle matches too). Any other comes back as the base class.
const CLASSES = [AckTimeoutError, ConnectionError, MessageExpiredError, NackError, QueueFullError];

/** JSON keeps the data fields (numbers, strings…) and leaves functions and the non-enumerable `cause` behind. */
export function transferError(error: Error): TransferredError {
  return { ...JSON.parse(JSON.stringify(error)), name: error.name, message: error.message };
}

/** Rebuilds the library's error class on the receiving side, so `instanceof NackError` still holds. */
export function reviveError(transferred: TransferredError): ReliableWebSocketError {
  const known = CLASSES.find((errorClass) => errorClass.name === transferred.name) ?? ReliableWebSocketError;
  return Object.assign(Object.create(known.prototype) as ReliableWebSocketError, transferred);
}
