import { BrowserStorageAdapter } from '../storage/browser-storage-adapter';
import type { WebSocketConstructor } from './client-options';
import type { Platform } from './platform';
import { webLocksCoordination } from './web-locks-coordination';

interface OnlineTarget {
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

/** Browsers (and any runtime with a global WebSocket): IndexedDB persistence, `online` events. */
export const browserPlatform: Platform = {
  defaultWebSocket: () => (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
  defaultStorage: (storageKey) => new BrowserStorageAdapter({ name: storageKey }),
  tabCoordination: webLocksCoordination,
  onOnline(listener) {
    const target = globalThis as unknown as Partial<OnlineTarget>;
    if (typeof target.addEventListener !== 'function' || typeof window === 'undefined')
      return () => undefined;
    target.addEventListener('online', listener);
    return () => target.removeEventListener!('online', listener);
  },
  missingWebSocketHint:
    "No WebSocket implementation found; in Node import from the package's Node build (the default `require`/`import` there) or pass `WebSocketCtor: WebSocket` from 'ws'.",
};
