import { StorageError } from '../protocol/errors';
import type { StorageAdapter } from '../storage/storage-adapter';
import { isQueuedMessage, type QueuedMessage } from './queued-message';

/** What a queue finds in storage when it starts. */
export interface RestoredQueue {
  /** In storage order: the queue's heap sorts them. */
  messages: QueuedMessage[];
  meta: Map<string, unknown>;
  /** Records under this queue's prefix that could not be read as messages. */
  corrupt: StorageError[];
}

/** The value {@link QueueStore} passes for a removal. */
const REMOVE: unique symbol = Symbol('remove');

/** Wraps anything a storage adapter throws into a `StorageError` (kept as is when it already is one). */
function toStorageError(error: unknown, action: string): StorageError {
  return error instanceof StorageError
    ? error
    : new StorageError('IO', `Storage failed to ${action}: ${(error as Error)?.message ?? error}`, {
        cause: error,
      });
}

/**
 * The queue's layout in a `StorageAdapter`: one key per message
 * (`${storageKey}:m:${id}`) and one metadata key (`${storageKey}:meta`), so an
 * operation writes one record instead of rewriting the queue.
 */
export class QueueStore {
  readonly #storage: StorageAdapter;
  readonly #prefix: string;
  readonly #metaKey: string;
  #pending = 0;
  readonly #idleWaiters: Array<() => void> = [];
  /** Shared by every operation: no closure per write for the success path. */
  readonly #onDone = (): void => this.#settled();

  constructor(storage: StorageAdapter, storageKey: string) {
    this.#storage = storage;
    this.#prefix = `${storageKey}:m:`;
    this.#metaKey = `${storageKey}:meta`;
  }

  /** Resolves once the message is as durable as the adapter makes it. */
  write(message: QueuedMessage): Promise<void> {
    return this.#track(this.#prefix + message.id, message, 'persist message ', message.id);
  }

  delete(id: string): Promise<void> {
    return this.#track(this.#prefix + id, REMOVE, 'remove message ', id);
  }

  writeMeta(meta: Map<string, unknown>): Promise<void> {
    return this.#track(this.#metaKey, Object.fromEntries(meta), 'persist queue metadata', '');
  }

  /** Resolves once every write and removal issued so far has settled. */
  idle(): Promise<void> {
    return this.#pending ? new Promise((resolve) => this.#idleWaiters.push(resolve)) : Promise.resolve();
  }

  async restore(): Promise<RestoredQueue> {
    const storage = this.#storage;
    const prefix = this.#prefix;
    let keys: string[];
    let values: unknown[];
    let meta: unknown;
    try {
      keys = (await storage.keys()).filter((k) => k.startsWith(prefix));
      [values, meta] = await Promise.all([
        Promise.all(keys.map((k) => storage.getItem(k))),
        storage.getItem(this.#metaKey),
      ]);
    } catch (error) {
      throw toStorageError(error, 'restore the queue');
    }
    const messages: QueuedMessage[] = [];
    const corrupt: StorageError[] = [];
    values.forEach((value, i) => {
      if (!isQueuedMessage(value)) {
        corrupt.push(
          new StorageError('CORRUPT', `Stored record ${keys[i]} is not a queued message; skipped.`),
        );
      } else if (prefix + value.id === keys[i]) {
        messages.push(value);
      }
      // A valid message whose id differs from its key belongs to another queue whose
      // storageKey extends ours (`q` vs `q:m`): not ours to load or to report.
    });
    // A meta record that is not an object (corrupt) restores as empty, like a missing one.
    return { messages, meta: new Map(typeof meta === 'object' && meta ? Object.entries(meta) : []), corrupt };
  }

  /**
   * Sets `key` to `value` (or removes it, for {@link REMOVE}). One promise and
   * one closure (the failure handler) per operation: this is on every send's
   * path. The failure's text (`action` + `subject`) is joined only on failure.
   */
  #track(key: string, value: unknown, action: string, subject: string): Promise<void> {
    let operation: Promise<void>;
    try {
      operation = value === REMOVE ? this.#storage.removeItem(key) : this.#storage.setItem(key, value);
    } catch (error) {
      // An adapter that throws instead of rejecting still surfaces as a StorageError.
      operation = Promise.reject(error);
    }
    this.#pending++;
    return operation.then(this.#onDone, (error: unknown) => {
      this.#settled();
      throw toStorageError(error, action + subject);
    });
  }

  #settled(): void {
    if (--this.#pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
