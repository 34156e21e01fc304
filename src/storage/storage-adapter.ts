/**
 * Where the queue keeps accepted messages. Values are JSON-compatible.
 * Every write resolves only once the value is as durable as the adapter can
 * make it (fsync for the file journal, the IndexedDB transaction for browsers).
 */
export interface StorageAdapter {
  getItem<T = unknown>(key: string): Promise<T | null>;
  setItem<T = unknown>(key: string, value: T): Promise<void>;
  removeItem(key: string): Promise<void>;
  /** Every key currently stored (any order). */
  keys(): Promise<string[]>;
  /** False for adapters that lose data with the process (memory). */
  readonly durable: boolean;
  /** Releases files or handles; further calls reject. */
  close?(): Promise<void>;
  /**
   * Set once the adapter has opened, when opening lost data (a damaged file
   * journal): the client reports it as an `error` event and counts it in
   * `getStats().storageRecordsLost`.
   */
  readonly recoveryError?: Error | undefined;
  /** How many records that recovery lost. */
  readonly damage?: { readonly records: number };
}
