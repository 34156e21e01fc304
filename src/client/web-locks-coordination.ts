import type { TabCoordination, TabMessage } from './tab-coordination';

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/**
 * TabCoordination on the Web Locks API and BroadcastChannel, or undefined
 * where either is missing (old browsers, insecure origins, Node). The lock is
 * held by a promise that only `close()` resolves; the browser also releases it
 * when the tab's document goes away, so a closed or crashed tab hands over.
 */
export function webLocksCoordination(name: string): TabCoordination | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (typeof locks?.request !== 'function' || typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  let pending: AbortController | undefined;
  let release: (() => void) | undefined;
  let closed = false;

  return {
    requestLeadership(onAcquired) {
      if (closed || pending || release) return;
      const request = (pending = new AbortController());
      locks
        .request(name, { signal: request.signal }, () => {
          pending = undefined;
          return new Promise<void>((resolve) => {
            release = resolve;
            onAcquired();
          });
        })
        // An aborted request rejects with AbortError: that is what cancelling means.
        .catch(() => undefined);
    },
    cancelRequest() {
      pending?.abort();
      pending = undefined;
    },
    post(message: TabMessage) {
      if (!closed) channel.postMessage(message);
    },
    onMessage(listener) {
      channel.onmessage = (event: MessageEvent<TabMessage>) => listener(event.data);
    },
    close() {
      if (closed) return;
      closed = true;
      pending?.abort();
      release?.();
      channel.close();
    },
  };
}
