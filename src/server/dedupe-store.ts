import { RememberedIds } from './remembered-ids';

/** A value, or a promise of it: stores may be synchronous (fast path) or asynchronous (durable). */
export type MaybePromise<T> = T | PromiseLike<T>;

/** What the server answered for a message id; replayed verbatim to duplicates. */
export type DedupeOutcome =
  | { readonly ok: true; readonly response?: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** `'pending'`: someone began handling the id and has not completed it (another process, with a shared store). */
export type DedupeLookup = DedupeOutcome | 'pending' | undefined;

export type DedupeBegin =
  | { readonly status: 'started' }
  | { readonly status: 'exists' }
  | { readonly status: 'full'; readonly retryAfterMs: number };

/** What `claim` found: claimed now (`'started'`), remembered (`'done'`), or claimed by another holder (`'pending'`). */
export type DedupeClaim =
  | { readonly status: 'started' }
  | { readonly status: 'done'; readonly outcome: DedupeOutcome }
  | { readonly status: 'pending' }
  | { readonly status: 'full'; readonly retryAfterMs: number };

/**
 * Remembers message ids and their outcomes for the dedupe window. Keys are
 * opaque strings built by the server from (principal, clientId, messageId).
 * Every method may return a promise, so a durable store (Redis, SQL) can be
 * plugged in; the default `MemoryDedupeStore` answers synchronously, and
 * `FileDedupeStore` keeps entries across restarts in a local journal.
 */
export interface DedupeStore {
  /** The outcome remembered for `key`, `'pending'` while it is being handled, `undefined` if unknown or expired at `now`. */
  get(key: string, now: number): MaybePromise<DedupeLookup>;
  /** Atomically claims `key` (pending until `complete`); `'exists'` if already claimed or remembered. */
  begin(key: string, expiresAt: number): MaybePromise<DedupeBegin>;
  /** Records the outcome; it is remembered until `expiresAt` (epoch ms). */
  complete(key: string, outcome: DedupeOutcome, expiresAt: number): MaybePromise<void>;
  /** Forgets completed entries expired at `now`; returns how many. Called by the server from one timer. */
  evictExpired(now: number): MaybePromise<number>;
  /**
   * Optional, for a store shared by several nodes: `get` and `begin` in one
   * atomic step (one round trip). When present, the server calls it instead of both.
   */
  claim?(key: string, expiresAt: number): MaybePromise<DedupeClaim>;
  /**
   * Optional, for a store shared by several nodes: waits (bounded by the store)
   * for the outcome of a claim another node holds, so a resend that reached
   * another node is answered once the first node answers. Resolves `'pending'`
   * when the wait ended without an outcome (the client's retry asks again).
   */
  waitFor?(key: string): Promise<DedupeLookup>;
  /** Entries held (pending and completed), for `stats()`. */
  size?(): number;
  /** Resolves once the store can answer (a durable one has loaded); `listen()` waits for it and fails if it rejects. */
  readonly ready?: PromiseLike<void>;
  /** Set once ready when loading lost entries (a damaged journal); `listen()` reports it as an `error` event. */
  readonly recoveryError?: Error | undefined;
  /** How many entries that recovery lost; `stats().dedupeRecordsLost`. */
  readonly damage?: { readonly records: number };
}

export interface MemoryDedupeStoreOptions {
  /** Most entries (pending and completed) held at once. @default 1000000 */
  maxEntries?: number;
  /** Clock for the cap's `retryAfterMs`. @default Date.now */
  now?: () => number;
}

const STARTED: DedupeBegin = Object.freeze({ status: 'started' });
const EXISTS: DedupeBegin = Object.freeze({ status: 'exists' });
/** At the cap with nothing completed to wait for, suggest a short pause. */
const FULL_OF_PENDING_RETRY_MS = 1000;

/**
 * In-process store. Completed entries are kept packed (`RememberedIds`: no
 * object per id) in completion order with non-decreasing expiry, so a sweep
 * stops at the first live entry: its cost is the number of expired entries,
 * not the size of the window.
 *
 * At `maxEntries` it never forgets a live id early (that could run a handler
 * twice): `begin` answers `'full'` with the time until the oldest entry
 * expires, and the server refuses the message with nack `DEDUPE_FULL`.
 */
export class MemoryDedupeStore implements DedupeStore {
  /**
   * The one pending key when only one is (a synchronous handler: begin and complete in one turn).
   * Kept out of `pending` because a Set that goes 0 → 1 → 0 reallocates its table every time
   * (measured: ~110 bytes per message on the server's hot path).
   */
  private pendingOne: string | undefined;
  private readonly pending = new Set<string>();
  private readonly done = new RememberedIds();
  /**
   * The last key `get` found nowhere: the `begin` that follows it (the server's usual pair) skips a
   * second lookup in `done` (a miss per fresh id). Any
   * `complete` of that key clears it.
   */
  private missed: string | undefined;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private lastExpiresAt = 0;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const max = options.maxEntries ?? 1_000_000;
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError(`\`maxEntries\` must be a positive integer, got ${String(max)}.`);
    this.maxEntries = max;
    this.now = options.now ?? Date.now;
  }

  get(key: string, now: number): DedupeLookup {
    const slot = this.done.find(key);
    if (slot >= 0) return this.done.expiresAt(slot) > now ? this.done.outcome(slot) : undefined;
    if (this.isPending(key)) return 'pending';
    this.missed = key;
    return undefined;
  }

  begin(key: string, _expiresAt: number): DedupeBegin {
    if (this.isPending(key)) return EXISTS;
    if (key === this.missed) {
      this.missed = undefined;
    } else {
      const slot = this.done.find(key);
      if (slot >= 0) {
        if (this.done.expiresAt(slot) > this.now()) return EXISTS;
        this.done.remove(slot);
      }
    }
    if (this.size() >= this.maxEntries) {
      const now = this.now();
      this.evictExpired(now);
      if (this.size() >= this.maxEntries) return this.full(now);
    }
    if (this.pendingOne === undefined) this.pendingOne = key;
    else this.pending.add(key);
    return STARTED;
  }

  complete(key: string, outcome: DedupeOutcome, expiresAt: number): void {
    if (key === this.missed) this.missed = undefined;
    // A pending key has no entry in `done` (`begin` made sure); any other is moved to the end.
    if (this.pendingOne === key) this.pendingOne = undefined;
    else if (!this.pending.delete(key)) {
      const slot = this.done.find(key);
      if (slot >= 0) this.done.remove(slot);
    }
    // Keep expiries non-decreasing in completion order so the sweep can stop early.
    this.lastExpiresAt = Math.max(this.lastExpiresAt, expiresAt);
    this.done.add(key, outcome, this.lastExpiresAt);
  }

  evictExpired(now: number): number {
    return this.done.evictExpired(now);
  }

  size(): number {
    return (this.pendingOne === undefined ? 0 : 1) + this.pending.size + this.done.size;
  }

  private isPending(key: string): boolean {
    return this.pendingOne === key || this.pending.has(key);
  }

  private full(now: number): DedupeBegin {
    const oldest = this.done.oldestExpiry();
    const retryAfterMs = oldest === undefined ? FULL_OF_PENDING_RETRY_MS : Math.max(1, oldest - now);
    return { status: 'full', retryAfterMs };
  }
}
