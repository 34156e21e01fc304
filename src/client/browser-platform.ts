import { BrowserStorageAdapter } from '../storage/browser-storage-adapter';
import type { WebSocketConstructor } from './client-options';
import type { Platform } from './platform';
import { webLocksCoordination } from './web-locks-coordination';

/** Browsers (and any runtime with a global WebSocket): IndexedDB persistence, `online` events. */
export const browserPlatform: Platform = {
  defaultWebSocket: () => (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
  defaultStorage: (name) => new BrowserStorageAdapter({ name }),
  tabCoordination: webLocksCoordination,
  onOnline(listener) {
    // Only a window has an `online` event worth waiting for (workers and Node do not).
    if (typeof window === 'undefined' || typeof addEventListener !== 'function') return () => undefined;
    addEventListener('online', listener);
    return () => removeEventListener('online', listener);
  },
  missingWebSocketHint:
    "No WebSocket implementation found: in Node use this package's Node build, or pass `WebSocketCtor: WebSocket` from 'ws'.",
};
