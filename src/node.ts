// rx-reliable-ws for Node: the same API as the isomorphic entry, with `ws` as the
// default WebSocket and the FileStorageAdapter journal as the default persistence.
import { ReliableWebSocketClient as CoreClient } from './client/reliable-websocket-client';
import type { ReliableClientOptions } from './client/client-options';
import { TradingClient as CoreTradingClient } from './trading/trading-client';
import { nodePlatform } from './node-platform';

export * from './index';
export { FileStorageAdapter } from './storage/file-storage-adapter';
export type { FileStorageAdapterOptions } from './storage/file-storage-adapter';
export { defaultStorageDir, nodePlatform } from './node-platform';

/** ReliableWebSocketClient with Node defaults: `ws`, and the file journal under `defaultStorageDir(storageKey)`. */
export class ReliableWebSocketClient extends CoreClient {
  constructor(url: string, options: ReliableClientOptions = {}) {
    super(url, options, nodePlatform);
  }
}

/** TradingClient with Node defaults. */
export class TradingClient extends CoreTradingClient {
  constructor(url: string, apiKey: string, options: ReliableClientOptions = {}) {
    super(url, apiKey, options, nodePlatform);
  }
}
