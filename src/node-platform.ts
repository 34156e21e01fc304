import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from './client/client-options';
import type { Platform } from './client/platform';
import { FileStorageAdapter } from './storage/file-storage-adapter';

/** Where the Node build keeps persisted queues unless `storage` is given. */
export function defaultStorageDir(storageKey: string): string {
  const base = process.env['RX_RELIABLE_WS_DIR'] ?? join(process.cwd(), '.rx-reliable-ws');
  return join(base, storageKey.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

/**
 * `ws` without permessage-deflate: `ws` offers compression by default, which
 * costs memory per connection and opens compression side channels
 * (docs/security.md). Pass your own `WebSocketCtor` to turn it on.
 */
class UncompressedWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** Node: `ws` as the WebSocket, the fsync'd file journal as durable storage. */
export const nodePlatform: Platform = {
  defaultWebSocket: () => UncompressedWebSocket as unknown as WebSocketConstructor,
  defaultStorage: (storageKey) => new FileStorageAdapter(defaultStorageDir(storageKey)),
  onOnline: () => () => undefined,
  missingWebSocketHint: "No WebSocket implementation found; pass `WebSocketCtor: WebSocket` from 'ws'.",
};
