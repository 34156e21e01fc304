import type { StorageAdapter } from '../storage/storage-adapter';

/**
 * The queue's view of shared storage in a tab that may not be the sender:
 * reads wait until this tab leads, so the queue restores what every tab has
 * persisted at the moment it takes over, never a stale snapshot. Closing
 * before that lets the reads see an empty store, so `close()` never hangs.
 */
export class LeaderGatedStorage implements StorageAdapter {
  private readonly opened: Promise<boolean>;
  private settle!: (leading: boolean) => void;

  constructor(private readonly inner: StorageAdapter) {
    this.opened = new Promise<boolean>((resolve) => (this.settle = resolve));
  }

  get durable(): boolean {
    return this.inner.durable;
  }

  /** This tab leads: reads go through from now on. */
  open(): void {
    this.settle(true);
  }

  /** The client closes without having led. */
  abandon(): void {
    this.settle(false);
  }

  async getItem<T = unknown>(key: string): Promise<T | null> {
    return (await this.opened) ? this.inner.getItem<T>(key) : null;
  }

  async keys(): Promise<string[]> {
    return (await this.opened) ? this.inner.keys() : [];
  }

  setItem<T = unknown>(key: string, value: T): Promise<void> {
    return this.inner.setItem(key, value);
  }

  removeItem(key: string): Promise<void> {
    return this.inner.removeItem(key);
  }
}
