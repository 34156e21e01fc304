import type { StorageAdapter } from '../storage/storage-adapter';

/**
 * The queue's view of shared storage in a tab that may not be the sender:
 * reads wait until this tab leads, so the queue restores what every tab has
 * persisted at the moment it takes over, never a stale snapshot. Closing
 * before that lets the reads see an empty store, so `close()` never hangs.
 */
export class LeaderGatedStorage implements StorageAdapter {
  readonly #inner: StorageAdapter;
  #open!: (leading: boolean) => void;
  readonly #opened = new Promise<boolean>((resolve) => (this.#open = resolve));

  constructor(inner: StorageAdapter) {
    this.#inner = inner;
  }

  /**
   * Lets reads through: `open(true)` once this tab leads; `open(false)` when
   * the client closes without having led (reads then find an empty store).
   */
  open(leading: boolean): void {
    this.#open(leading);
  }

  get durable(): boolean {
    return this.#inner.durable;
  }

  async getItem<T = unknown>(key: string): Promise<T | null> {
    return (await this.#opened) ? this.#inner.getItem<T>(key) : null;
  }

  async keys(): Promise<string[]> {
    return (await this.#opened) ? this.#inner.keys() : [];
  }

  setItem<T = unknown>(key: string, value: T): Promise<void> {
    return this.#inner.setItem(key, value);
  }

  removeItem(key: string): Promise<void> {
    return this.#inner.removeItem(key);
  }
}
