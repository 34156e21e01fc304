import { StorageError } from '../protocol/errors';
import type { StorageAdapter } from './storage-adapter';

/**
 * Keeps values in a `Map` for the life of the process (`durable: false`).
 * Values are structured-cloned on the way in and out, so neither the caller
 * nor a later reader can mutate what is stored, just as with a real store.
 *
 * ## Example
 * ```ts
 * const storage = new MemoryStorageAdapter();
 * const value = { n: 1 };
 * await storage.setItem('k', value);
 * value.n = 2;
 * await storage.getItem('k');
 * // Output: { n: 1 }
 * ```
 */
export class MemoryStorageAdapter implements StorageAdapter {
  readonly durable = false;
  private readonly data = new Map<string, unknown>();
  private closed = false;

  async getItem<T = unknown>(key: string): Promise<T | null> {
    this.checkOpen();
    return this.data.has(key) ? (structuredClone(this.data.get(key)) as T) : null;
  }

  async setItem<T = unknown>(key: string, value: T): Promise<void> {
    this.checkOpen();
    let copy: unknown;
    try {
      copy = structuredClone(value);
    } catch (error) {
      throw new StorageError('IO', `Cannot store ${key}: the value cannot be cloned (${String(error)}).`, {
        cause: error,
      });
    }
    this.data.set(key, copy);
  }

  async removeItem(key: string): Promise<void> {
    this.checkOpen();
    this.data.delete(key);
  }

  async keys(): Promise<string[]> {
    this.checkOpen();
    return [...this.data.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('UNAVAILABLE', 'The MemoryStorageAdapter is closed.');
  }
}
