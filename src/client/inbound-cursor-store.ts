import type { StorageAdapter } from '../storage/storage-adapter';

/** One stream's persisted position: epoch, committed seq, and the highest seq handed to app code (`h >= c`). */
export interface StoredCursor {
  e: string;
  c: number;
  h: number;
}

export type StoredCursors = Record<string, StoredCursor>;

/**
 * Keeps the inbound stream cursors beside the queue, under
 * `${storageKey}:inbound` in the same StorageAdapter (IndexedDB in browsers,
 * the file journal in Node). Writes coalesce: while one is under way, every
 * later request is served by one more write of the newest state.
 */
export class InboundCursorStore {
  readonly #storage: StorageAdapter;
  readonly #key: string;
  readonly #state: () => StoredCursors;
  #writing: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(storage: StorageAdapter, storageKey: string, state: () => StoredCursors) {
    this.#storage = storage;
    this.#key = `${storageKey}:inbound`;
    this.#state = state;
  }

  async restore(): Promise<StoredCursors> {
    const stored = await this.#storage.getItem<StoredCursors>(this.#key);
    const out: StoredCursors = {};
    if (typeof stored !== 'object' || stored === null) return out;
    for (const [stream, c] of Object.entries(stored)) {
      // A corrupt entry restores as no cursor (the server then says NEW), never as a wrong one.
      if (typeof c?.e === 'string' && Number.isSafeInteger(c.c) && Number.isSafeInteger(c.h) && c.h >= c.c)
        out[stream] = { e: c.e, c: c.c, h: c.h };
    }
    return out;
  }

  /** Resolves once a write holding the state as it is now (or newer) is durable. */
  save(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#writing) return this.#write();
    const next = this.#writing
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#write();
      });
    this.#next = next;
    return next;
  }

  #write(): Promise<void> {
    const writing = Promise.resolve()
      .then(() => this.#storage.setItem(this.#key, this.#state()))
      .finally(() => {
        if (this.#writing === writing) this.#writing = undefined;
      });
    this.#writing = writing;
    return writing;
  }
}
