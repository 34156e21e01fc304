export { MessageType, MessagePriority, ConnectionState, PROTOCOL_VERSION } from './enums';
export type * from './envelope';
export { isWelcome } from './envelope';
export type * from './stream-envelope';
export { StreamFrameType, STREAM_GAP_REASONS, MAX_STREAMS_PER_SESSION } from './stream-envelope';
export {
  encodeFrame,
  decodeFrame,
  validateEnvelope,
  DEFAULT_MAX_FRAME_BYTES,
  MIN_PEER_FRAME_BYTES,
} from './codec';
export type { DecodeLimits, DecodeResult } from './codec';
export { CloseCode, isRetryableClose, closeCodeName } from './close-codes';
export type { CloseCodeName } from './close-codes';
export * from './errors';
export type { AckRun } from './ack-runs';
