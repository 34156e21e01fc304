import { StorageError } from '../protocol/errors';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';

/** What the client does when durable storage is unavailable or over quota. */
export type StorageFallback = 'memory' | 'none';

/** Unavailable or full: a condition that will not pass by retrying the same call. */
function isStorageOutage(error: unknown): error is StorageError {
  return (
    error instanceof StorageError && (error.reason === 'UNAVAILABLE' || error.reason === 'QUOTA_EXCEEDED')
  );
}

/**
 * Wraps the client's durable storage. With `'memory'`, the first outage
 * (private mode, storage disabled, quota exceeded) switches every later call
 * to a MemoryStorageAdapter, reported once through `onFallback`; with
 * `'none'` the error reaches the caller (`send` rejects). Either way `durable`
 * turns false, so `getStats().durable` tells the truth.
 */
export class StorageFallbackAdapter implements StorageAdapter {
  private memory: MemoryStorageAdapter | undefined;
  private unavailable = false;

  constructor(
    private readonly primary: StorageAdapter,
    private readonly mode: StorageFallback,
    private readonly onFallback: (error: StorageError) => void,
  ) {}

  get durable(): boolean {
    return this.memory === undefined && !this.unavailable && this.primary.durable;
  }

  getItem<T = unknown>(key: string): Promise<T | null> {
    return this.run((s) => s.getItem<T>(key));
  }

  setItem<T = unknown>(key: string, value: T): Promise<void> {
    return this.run((s) => s.setItem<T>(key, value));
  }

  async removeItem(key: string): Promise<void> {
    // Records written before the switch stay in durable storage: forget them there too (deleting frees space).
    if (this.memory) await this.primary.removeItem(key).catch(() => undefined);
    return this.run((s) => s.removeItem(key));
  }

  keys(): Promise<string[]> {
    return this.run((s) => s.keys());
  }

  async close(): Promise<void> {
    await this.primary.close?.();
  }

  private async run<T>(operation: (storage: StorageAdapter) => Promise<T>): Promise<T> {
    if (this.memory) return operation(this.memory);
    try {
      return await operation(this.primary);
    } catch (error) {
      if (!isStorageOutage(error)) throw error;
      if (this.mode === 'none') {
        if (error.reason === 'UNAVAILABLE') this.unavailable = true;
        throw error;
      }
      if (!this.memory) {
        this.memory = new MemoryStorageAdapter();
        this.onFallback(
          new StorageError(
            error.reason,
            `${error.message} Falling back to memory (storageFallback: 'memory'): messages accepted from now on are lost on reload.`,
            { cause: error },
          ),
        );
      }
      return operation(this.memory);
    }
  }
}
