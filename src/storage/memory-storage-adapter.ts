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
  /** Undefined once closed. */
  #data: Map<string, unknown> | undefined = new Map();

  async getItem<T = unknown>(key: string): Promise<T | null> {
    const data = this.#open();
    return data.has(key) ? (structuredClone(data.get(key)) as T) : null;
  }

  async setItem<T = unknown>(key: string, value: T): Promise<void> {
    const data = this.#open();
    try {
      data.set(key, structuredClone(value));
    } catch (error) {
      throw new StorageError('IO', `Cannot store ${key}: ${error}`, { cause: error });
    }
  }

  async removeItem(key: string): Promise<void> {
    this.#open().delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.#open().keys()];
  }

  async close(): Promise<void> {
    this.#data = undefined;
  }

  #open(): Map<string, unknown> {
    if (!this.#data) throw new StorageError('UNAVAILABLE', 'The MemoryStorageAdapter is closed.');
    return this.#data;
  }
}
