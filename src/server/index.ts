// rx-reliable-ws/server: the Node reference server (depends on `ws` and node built-ins).

export { ReliableWebSocketServer } from './reliable-websocket-server';
export type { PushTarget } from './reliable-websocket-server';
export type { ReliableWebSocketServerOptions, RateLimitOptions, Authenticate } from './server-options';
export { DEFAULT_SERVER_OPTIONS } from './server-options';
export type { HandlerContext, MessageHandler } from './message-dispatcher';
export type { ServerEvent, ServerEventType, ServerStats } from './server-events';

export { MemoryDedupeStore } from './dedupe-store';
export type {
  DedupeStore,
  DedupeOutcome,
  DedupeLookup,
  DedupeBegin,
  MemoryDedupeStoreOptions,
  MaybePromise,
} from './dedupe-store';
export type { DedupeClaim } from './dedupe-store';
export type { ServerBackend, BackendHealth, BackendNode, BackendPush } from './server-backend';
export type { SessionDirectory, SessionDirectoryNode, PushAddress } from './server-backend';
export { MemoryBackendHub } from './memory-backend';
export type { MemoryBackendHubOptions } from './memory-backend';
export type { Session } from './session-registry';
export { FileDedupeStore, OUTCOME_UNKNOWN } from './file-dedupe-store';

export type {
  InboundLog,
  InboundRecord,
  InboundReadResult,
  InboundRetention,
  InboundGapReason,
  StreamPosition,
} from './inbound-log';
export { MemoryInboundLog, DEFAULT_INBOUND_RETENTION } from './memory-inbound-log';
export { FileInboundLog } from './file-inbound-log';
export type { FileInboundLogOptions } from './file-inbound-log';
export { PublishError } from './publish-error';
export { MAX_UNACKED } from './stream-publisher';
export type { StreamSession } from './server-options';
export type { FileDedupeStoreOptions } from './file-dedupe-store';
export type { FileStorageAdapterOptions } from '../storage/file-storage-adapter';

export { ApiKeyAuthenticator, ANONYMOUS_PRINCIPAL } from './authenticator';
export { TokenBucket } from './rate-limiter';
export { MAX_CONSECUTIVE_BAD_FRAMES } from './server-connection';

// The protocol pieces a server author needs, so `rx-reliable-ws/server` stands alone.
export { CloseCode, isRetryableClose, closeCodeName, MessageType, PROTOCOL_VERSION } from '../protocol';
export { StreamFrameType, STREAM_GAP_REASONS } from '../protocol';
export type { StreamCursor, StreamVerdict, StreamGapReason } from '../protocol';
