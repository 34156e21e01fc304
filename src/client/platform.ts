import type { StorageAdapter } from '../storage/storage-adapter';
import type { WebSocketConstructor } from './client-options';
import type { TabCoordination } from './tab-coordination';

/**
 * What differs between Node and browsers: the default WebSocket and the
 * default durable storage. Each entry point (index.ts, node.ts) supplies one,
 * so the browser build never reaches `ws` or `fs`.
 */
export interface Platform {
  defaultWebSocket(): WebSocketConstructor | undefined;
  /** Durable storage for `enablePersistence: true` when no `storage` option is given. */
  defaultStorage(storageKey: string): StorageAdapter;
  /** Calls `listener` when the host comes back online; returns an unsubscribe function. */
  onOnline(listener: () => void): () => void;
  /** One lock and channel per queue shared by tabs (`singleSender`); absent or undefined where tabs do not exist. */
  tabCoordination?(name: string): TabCoordination | undefined;
  /** Hint shown when no WebSocket implementation is found. */
  readonly missingWebSocketHint: string;
}
