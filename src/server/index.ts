// rx-reliable-ws/server: the Node reference server (depends on `ws` and node built-ins).

export { ReliableWebSocketServer } from './reliable-websocket-server';
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
export { FileDedupeStore, OUTCOME_UNKNOWN } from './file-dedupe-store';
export type { FileDedupeStoreOptions } from './file-dedupe-store';
export type { FileStorageAdapterOptions } from '../storage/file-storage-adapter';

export { ApiKeyAuthenticator, ANONYMOUS_PRINCIPAL } from './authenticator';
export { TokenBucket } from './rate-limiter';
export { MAX_CONSECUTIVE_BAD_FRAMES } from './server-connection';

// The protocol pieces a server author needs, so `rx-reliable-ws/server` stands alone.
export { CloseCode, isRetryableClose, closeCodeName, MessageType, PROTOCOL_VERSION } from '../protocol';
