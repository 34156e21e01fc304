import type { TabCoordination } from './tab-coordination';

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
  if (!locks || typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  let request: AbortController | undefined;
  let release: (() => void) | undefined;
  let closed = false;

  return {
    requestLeadership(onAcquired) {
      if (closed || request || release) return;
      request = new AbortController();
      locks
        .request(
          name,
          { signal: request.signal },
          () =>
            new Promise<void>((resolve) => {
              request = undefined;
              release = resolve;
              onAcquired();
            }),
        )
        // An aborted request rejects with AbortError: that is what cancelling means.
        .catch(() => undefined);
    },
    cancelRequest() {
      request?.abort();
      request = undefined;
    },
    post(message) {
      if (!closed) channel.postMessage(message);
    },
    onMessage(listener) {
      channel.onmessage = (event: MessageEvent) => listener(event.data);
    },
    close() {
      closed = true;
      this.cancelRequest();
      release?.();
      channel.close();
    },
  };
}
