export { MessageType, MessagePriority, ConnectionState, PROTOCOL_VERSION } from './enums';
export type * from './envelope';
export { isWelcome } from './envelope';
export { encodeFrame, decodeFrame, validateEnvelope } from './codec';
export type { DecodeLimits, DecodeResult } from './codec';
export { CloseCode, isRetryableClose, closeCodeName } from './close-codes';
export type { CloseCodeName } from './close-codes';
export * from './errors';
