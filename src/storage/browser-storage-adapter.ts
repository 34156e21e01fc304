import localforage from 'localforage';
import { StorageError } from '../protocol/errors';
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

const QUOTA_NAMES = new Set(['QuotaExceededError', 'NS_ERROR_DOM_QUOTA_REACHED']);

function toStorageError(error: unknown, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const e = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  const detail = e && typeof e.message === 'string' ? e.message : String(error);
  if (e && (QUOTA_NAMES.has(e.name as string) || e.code === 22 || e.code === 1014)) {
    return new StorageError(
      'QUOTA_EXCEEDED',
      `Browser storage is over quota; could not ${action} (${detail}). Free space or lower \`queueSize\`.`,
      { cause: error },
    );
  }
  return new StorageError('IO', `Browser storage failed to ${action}: ${detail}`, { cause: error });
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
  private readonly store: LocalForage;
  private opened: Promise<void> | undefined;
  private closed = false;

  constructor(options: BrowserStorageAdapterOptions = {}) {
    const { name = 'rx-reliable-ws', storeName = 'queue' } = options;
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(
        `BrowserStorageAdapterOptions.name must be a non-empty string; got ${String(name)}.`,
      );
    }
    if (typeof storeName !== 'string' || storeName === '') {
      throw new TypeError(
        `BrowserStorageAdapterOptions.storeName must be a non-empty string; got ${String(storeName)}.`,
      );
    }
    const driver = options.driver ?? [localforage.INDEXEDDB, localforage.LOCALSTORAGE];
    this.store = localforage.createInstance({ name, storeName, driver });
  }

  /** The localforage driver in use (`asyncStorage` is IndexedDB), once one is ready. */
  async driverName(): Promise<string> {
    await this.open();
    return this.store.driver();
  }

  async getItem<T = unknown>(key: string): Promise<T | null> {
    await this.open();
    return this.store.getItem<T>(key).catch((e: unknown) => {
      throw toStorageError(e, `read ${key}`);
    });
  }

  async setItem<T = unknown>(key: string, value: T): Promise<void> {
    await this.open();
    await this.store.setItem<T>(key, value).catch((e: unknown) => {
      throw toStorageError(e, `write ${key}`);
    });
  }

  async removeItem(key: string): Promise<void> {
    await this.open();
    await this.store.removeItem(key).catch((e: unknown) => {
      throw toStorageError(e, `remove ${key}`);
    });
  }

  async keys(): Promise<string[]> {
    await this.open();
    return this.store.keys().catch((e: unknown) => {
      throw toStorageError(e, 'list keys');
    });
  }

  /** Further calls reject; localforage keeps no handle worth closing. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private open(): Promise<void> {
    if (this.closed) {
      return Promise.reject(new StorageError('UNAVAILABLE', 'The BrowserStorageAdapter is closed.'));
    }
    this.opened ??= this.store.ready().then(undefined, (e: unknown) => {
      this.opened = undefined; // a later call may find storage available again
      throw new StorageError(
        'UNAVAILABLE',
        `No browser storage is available (tried ${String(this.store.config('driver'))}): ${String((e as Error)?.message ?? e)}. ` +
          'Pass another StorageAdapter, or use MemoryStorageAdapter and accept losing the queue on reload.',
        { cause: e },
      );
    });
    return this.opened;
  }
}
