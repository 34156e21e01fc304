import { StorageError } from '../protocol/errors';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';

/** What the client does when durable storage is unavailable or over quota. */
export type StorageFallback = 'memory' | 'none';

/**
 * Wraps the client's durable storage. With `'memory'`, the first outage
 * (private mode, storage disabled, quota exceeded: conditions that retrying
 * the same call will not cure) switches every later call to a
 * MemoryStorageAdapter, reported once through `onFallback`; with `'none'` the
 * error reaches the caller (`send` rejects). Either way `durable` turns
 * false, so `getStats().durable` tells the truth.
 */
export function withStorageFallback(
  primary: StorageAdapter,
  mode: StorageFallback,
  onFallback: (error: StorageError) => void,
): StorageAdapter {
  let memory: MemoryStorageAdapter | undefined;
  let unavailable = false;

  const recover = <T>(error: unknown, operation: (storage: StorageAdapter) => Promise<T>): Promise<T> => {
    const reason = error instanceof StorageError ? error.reason : undefined;
    if (reason !== 'UNAVAILABLE' && reason !== 'QUOTA_EXCEEDED') throw error;
    if (mode === 'none') {
      if (reason === 'UNAVAILABLE') unavailable = true;
      throw error;
    }
    if (!memory) {
      memory = new MemoryStorageAdapter();
      const message = `${(error as StorageError).message} Falling back to memory: later messages are lost on reload.`;
      onFallback(new StorageError(reason, message, { cause: error }));
    }
    return operation(memory);
  };

  // Not async: on every persisted send, one promise (the catch) instead of an async frame and its await.
  const run = <T>(operation: (storage: StorageAdapter) => Promise<T>): Promise<T> => {
    if (memory) return operation(memory);
    let result: Promise<T>;
    try {
      result = operation(primary);
    } catch (error) {
      result = Promise.reject(error);
    }
    return result.catch((error: unknown) => recover(error, operation));
  };

  // Records written before the switch stay in durable storage: forget them there too (deleting frees space).
  const removeBoth = async (key: string): Promise<void> => {
    await primary.removeItem(key).catch(() => undefined);
    return run((s) => s.removeItem(key));
  };

  return {
    get durable() {
      return !memory && !unavailable && primary.durable;
    },
    getItem: (key) => run((s) => s.getItem(key)),
    setItem: (key, value) => run((s) => s.setItem(key, value)),
    removeItem: (key) => (memory ? removeBoth(key) : run((s) => s.removeItem(key))),
    keys: () => run((s) => s.keys()),
    close: async () => primary.close?.(),
  };
}
