import { StorageError } from '../protocol/errors';
import type { StorageAdapter } from '../storage/storage-adapter';
import { isQueuedMessage, type QueuedMessage } from './queued-message';

/** What a queue finds in storage when it starts. */
export interface RestoredQueue {
  /** In pop order: priority desc, then seq asc. */
  messages: QueuedMessage[];
  meta: Map<string, unknown>;
  /** Records under this queue's prefix that could not be read as messages. */
  corrupt: StorageError[];
}

/** Wraps anything a storage adapter throws into a `StorageError` (kept as is when it already is one). */
export function toStorageError(error: unknown, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError('IO', `Storage failed to ${action}: ${detail}`, { cause: error });
}

/**
 * The queue's layout in a `StorageAdapter`: one key per message
 * (`${storageKey}:m:${id}`) and one metadata key (`${storageKey}:meta`), so an
 * operation writes one record instead of rewriting the queue.
 */
export class QueueStore {
  private readonly prefix: string;
  private readonly metaKey: string;
  private pending = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly storage: StorageAdapter,
    storageKey: string,
  ) {
    this.prefix = `${storageKey}:m:`;
    this.metaKey = `${storageKey}:meta`;
  }

  /** Resolves once the message is as durable as the adapter makes it. */
  write(message: QueuedMessage): Promise<void> {
    return this.track(
      () => this.storage.setItem(this.prefix + message.id, message),
      () => `persist message ${message.id}`,
    );
  }

  delete(id: string): Promise<void> {
    return this.track(
      () => this.storage.removeItem(this.prefix + id),
      () => `remove message ${id}`,
    );
  }

  writeMeta(meta: Map<string, unknown>): Promise<void> {
    return this.track(
      () => this.storage.setItem(this.metaKey, Object.fromEntries(meta)),
      () => 'persist queue metadata',
    );
  }

  /** Resolves once every write and removal issued so far has settled. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async restore(): Promise<RestoredQueue> {
    let keys: string[];
    let values: unknown[];
    let metaValue: unknown;
    try {
      keys = (await this.storage.keys()).filter((k) => k.startsWith(this.prefix));
      [values, metaValue] = await Promise.all([
        Promise.all(keys.map((k) => this.storage.getItem(k))),
        this.storage.getItem(this.metaKey),
      ]);
    } catch (error) {
      throw toStorageError(error, 'restore the queue');
    }
    const messages: QueuedMessage[] = [];
    const corrupt: StorageError[] = [];
    values.forEach((value, i) => {
      const id = keys[i].slice(this.prefix.length);
      if (!isQueuedMessage(value)) {
        corrupt.push(
          new StorageError(
            'CORRUPT',
            `Stored record ${keys[i]} is not a queued message; it was left in place and skipped.`,
          ),
        );
      } else if (value.id === id) {
        messages.push(value);
      }
      // A valid message whose id differs from its key belongs to another queue whose
      // storageKey extends ours (`q` vs `q:m`): not ours to load or to report.
    });
    messages.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const meta = new Map<string, unknown>(
      typeof metaValue === 'object' && metaValue !== null ? Object.entries(metaValue) : [],
    );
    return { messages, meta, corrupt };
  }

  /** One promise per operation (this is on every send's path); `action` is built only on failure. */
  private track(run: () => Promise<void>, action: () => string): Promise<void> {
    let operation: Promise<void>;
    try {
      operation = run();
    } catch (error) {
      // An adapter that throws instead of rejecting still surfaces as a StorageError.
      operation = Promise.reject(error);
    }
    this.pending++;
    return operation.then(
      () => this.settled(),
      (error: unknown) => {
        this.settled();
        throw toStorageError(error, action());
      },
    );
  }

  private settled(): void {
    if (--this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
