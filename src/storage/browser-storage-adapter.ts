import localforage from 'localforage';
import { StorageError } from '../protocol/errors';
import { invalidOption } from '../protocol/option-checks';
import type { StorageAdapter } from './storage-adapter';

/** Options of {@link BrowserStorageAdapter}. */
export interface BrowserStorageAdapterOptions {
  /**
   * Database name (IndexedDB) or key prefix (localStorage).
   * @default 'rx-reliable-ws'
   */
  name?: string;
  /**
   * Object store within the database.
   * @default 'queue'
   */
  storeName?: string;
  /**
   * localforage driver name(s), tried in order.
   * @default [localforage.INDEXEDDB, localforage.LOCALSTORAGE]
   */
  driver?: string | string[];
}

/** A failed localforage call as a `StorageError`: QUOTA_EXCEEDED (any browser's name or legacy code) or IO. */
function toStorageError(error: unknown, action: string): StorageError {
  const e = error as { name?: string; code?: number; message?: string } | null;
  const quota = /quota/i.test(e?.name as string) || e?.code === 22 || e?.code === 1014;
  return new StorageError(
    quota ? 'QUOTA_EXCEEDED' : 'IO',
    `Browser storage could not ${action}: ${e?.message ?? error}${quota ? '; free space or lower `queueSize`' : ''}`,
    { cause: error },
  );
}

/**
 * Persists through localforage: IndexedDB first, then localStorage
 * (`durable: true`). Each write resolves when the store's transaction did.
 * Over quota → `StorageError('QUOTA_EXCEEDED')`; no usable store (private mode,
 * Node without IndexedDB) → `StorageError('UNAVAILABLE')`.
 *
 * ## Example
 * ```ts
 * const queue = new MessageQueue(config, new BrowserStorageAdapter({ name: 'trading' }));
 * await queue.ready;
 * ```
 */
export class BrowserStorageAdapter implements StorageAdapter {
  readonly durable = true;
  readonly #store: LocalForage;
  #closed = false;

  constructor(options: BrowserStorageAdapterOptions = {}) {
    const { name = 'rx-reliable-ws', storeName = 'queue' } = options;
    for (const [option, value] of Object.entries({ name, storeName })) {
      if (typeof value !== 'string' || value === '') throw invalidOption(option, 'a non-empty string', value);
    }
    const driver = options.driver ?? [localforage.INDEXEDDB, localforage.LOCALSTORAGE];
    this.#store = localforage.createInstance({ name, storeName, driver });
  }

  /** The localforage driver in use (`asyncStorage` is IndexedDB), once one is ready. */
  driverName(): Promise<string> {
    return this.#run((store) => store.driver(), 'start');
  }

  getItem<T = unknown>(key: string): Promise<T | null> {
    return this.#run((store) => store.getItem<T>(key), `read ${key}`);
  }

  async setItem<T = unknown>(key: string, value: T): Promise<void> {
    await this.#run((store) => store.setItem(key, value), `write ${key}`);
  }

  removeItem(key: string): Promise<void> {
    return this.#run((store) => store.removeItem(key), `remove ${key}`);
  }

  keys(): Promise<string[]> {
    return this.#run((store) => store.keys(), 'list keys');
  }

  /** Further calls reject; localforage keeps no handle worth closing. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Runs `operation` once a driver is ready; its failures become StorageErrors. */
  async #run<T>(operation: (store: LocalForage) => T | Promise<T>, action: string): Promise<T> {
    if (this.#closed) throw new StorageError('UNAVAILABLE', 'The BrowserStorageAdapter is closed.');
    const store = this.#store;
    // localforage remembers a failed driver setup: every call rejects alike.
    await store.ready().catch((error: unknown) => {
      throw new StorageError(
        'UNAVAILABLE',
        `No browser storage (tried ${store.config('driver')}): ${(error as Error)?.message ?? error}; ` +
          "pass another StorageAdapter or set storageFallback: 'memory'",
        { cause: error },
      );
    });
    try {
      return await operation(store);
    } catch (error) {
      throw toStorageError(error, action);
    }
  }
}
