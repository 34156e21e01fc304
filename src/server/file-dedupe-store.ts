import { FileStorageAdapter, type FileStorageAdapterOptions } from '../storage/file-storage-adapter';
import type { DedupeBegin, DedupeLookup, DedupeOutcome, DedupeStore } from './dedupe-store';

export interface FileDedupeStoreOptions {
  /** Most entries (pending and completed) held at once; past it new ids are refused (`DEDUPE_FULL`). @default 1000000 */
  maxEntries?: number;
  /** Options of the `FileStorageAdapter` the store opens when given a directory. @default {} (fsync on) */
  storage?: FileStorageAdapterOptions;
  /** Clock for the cap's `retryAfterMs` and for dropping expired entries on open. @default Date.now */
  now?: () => number;
}

/** What one entry looks like in the journal: `o` absent while the handler runs. */
interface StoredEntry {
  e: number;
  o?: DedupeOutcome;
}

interface Remembered {
  outcome: DedupeOutcome;
  expiresAt: number;
}

/** Journal keys: JSON-escaped so lone surrogates in ids survive the UTF-8 round trip exactly. */
const PREFIX = 'dedupe:';
const STARTED: DedupeBegin = Object.freeze({ status: 'started' });
const EXISTS: DedupeBegin = Object.freeze({ status: 'exists' });
const FULL_OF_PENDING_RETRY_MS = 1000;

/** The answer for an id whose handler may have run when the server died, before its outcome was recorded. */
export const OUTCOME_UNKNOWN: DedupeOutcome = Object.freeze({
  ok: false,
  code: 'OUTCOME_UNKNOWN',
  message:
    'The server stopped while handling this message; it ran at most once and may have taken effect. Check before sending it again under a new id.',
});

/**
 * A `DedupeStore` that survives a server crash (`kill -9`), on the fsync'd
 * journal of `FileStorageAdapter`. Use it as `dedupeStore: new FileDedupeStore(dir)`.
 *
 * - `begin` writes the claim to disk **before** the handler runs, and
 *   `complete` resolves only once the outcome is on disk; the server sends the
 *   ack after that. So an acked id is never processed again after a restart,
 *   and its resend gets the remembered answer.
 * - A claim found on open without an outcome belongs to a handler that was
 *   running when the process died: it may or may not have taken effect. It is
 *   answered with the nack `OUTCOME_UNKNOWN` (never run again) until it expires.
 * - Lookups are served from memory (loaded on open), so `get` stays synchronous.
 *   Expired entries are dropped from memory and the journal by `evictExpired`.
 *
 * One store per directory, in one process (the journal is not shared).
 *
 * ## Example
 * ```ts
 * const dedupeStore = new FileDedupeStore('./data/dedupe');
 * const server = new ReliableWebSocketServer({ port: 8080, apiKeys, dedupeStore });
 * await server.listen(); // waits for the journal to be replayed
 * ```
 */
export class FileDedupeStore implements DedupeStore {
  /** Resolves once the journal is replayed; the server's `listen()` waits for it. */
  readonly ready: Promise<void>;
  /** What opening found: live outcomes, claims turned into `OUTCOME_UNKNOWN`, expired entries dropped. */
  readonly recovery = { entries: 0, unknown: 0, expired: 0 };
  private readonly storage: FileStorageAdapter;
  private readonly ownsStorage: boolean;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly pending = new Set<string>();
  /** Completed entries in non-decreasing expiry order, so the sweep stops at the first live one. */
  private readonly done = new Map<string, Remembered>();
  private lastExpiresAt = 0;
  private loaded = false;

  constructor(dirOrStorage: string | FileStorageAdapter, options: FileDedupeStoreOptions = {}) {
    const max = options.maxEntries ?? 1_000_000;
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError(`\`maxEntries\` must be a positive integer, got ${String(max)}.`);
    this.maxEntries = max;
    this.now = options.now ?? Date.now;
    this.ownsStorage = typeof dirOrStorage === 'string';
    this.storage =
      typeof dirOrStorage === 'string' ? new FileStorageAdapter(dirOrStorage, options.storage) : dirOrStorage;
    this.ready = this.load();
    this.ready.catch(() => undefined); // reported through listen() and every call
  }

  /** Set when the journal was damaged on open (see `FileStorageAdapter.recoveryError`): those entries are forgotten. */
  get recoveryError(): Error | undefined {
    return this.storage.recoveryError;
  }

  /** What the journal's recovery lost (records, bytes, where the damaged file was kept). */
  get damage(): FileStorageAdapter['damage'] {
    return this.storage.damage;
  }

  get(key: string, now: number): DedupeLookup | Promise<DedupeLookup> {
    if (!this.loaded) return this.ready.then(() => this.get(key, now));
    const entry = this.done.get(key);
    if (entry !== undefined) return entry.expiresAt > now ? entry.outcome : undefined;
    return this.pending.has(key) ? 'pending' : undefined;
  }

  begin(key: string, expiresAt: number): DedupeBegin | Promise<DedupeBegin> {
    if (!this.loaded) return this.ready.then(() => this.begin(key, expiresAt));
    if (this.pending.has(key)) return EXISTS;
    const entry = this.done.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > this.now()) return EXISTS;
      this.done.delete(key);
    }
    if (this.size() >= this.maxEntries) {
      Promise.resolve(this.evictExpired(this.now())).catch(() => undefined); // the sweep timer reports journal faults
      if (this.size() >= this.maxEntries) return this.full();
    }
    this.pending.add(key);
    // The claim is on disk before the handler runs: a crash from here on cannot lead to a second run.
    return this.storage.setItem<StoredEntry>(storageKey(key), { e: expiresAt }).then(
      () => STARTED,
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
  }

  /** Resolves once the outcome is on disk (fsync); the server acks only after that. */
  complete(key: string, outcome: DedupeOutcome, expiresAt: number): Promise<void> {
    this.lastExpiresAt = Math.max(this.lastExpiresAt, expiresAt);
    const at = this.lastExpiresAt;
    const remember = (): void => {
      this.pending.delete(key);
      this.done.delete(key);
      this.done.set(key, { outcome, expiresAt: at });
    };
    // Remembered in memory even if the write fails: this process still knows the answer.
    return this.storage
      .setItem<StoredEntry>(storageKey(key), { e: at, o: outcome })
      .then(remember, (error: unknown) => {
        remember();
        throw error;
      });
  }

  evictExpired(now: number): number | Promise<number> {
    if (!this.loaded) return 0;
    const expired: string[] = [];
    for (const [key, entry] of this.done) {
      if (entry.expiresAt > now) break;
      this.done.delete(key);
      expired.push(key);
    }
    if (expired.length === 0) return 0;
    return Promise.all(expired.map((key) => this.storage.removeItem(storageKey(key)))).then(
      () => expired.length,
    );
  }

  size(): number {
    return this.pending.size + this.done.size;
  }

  /** Waits for pending writes and closes the journal (if the store opened it). */
  async close(): Promise<void> {
    if (this.ownsStorage) await this.storage.close();
  }

  private full(): DedupeBegin {
    const oldest = this.done.values().next();
    const retryAfterMs = oldest.done
      ? FULL_OF_PENDING_RETRY_MS
      : Math.max(1, oldest.value.expiresAt - this.now());
    return { status: 'full', retryAfterMs };
  }

  private async load(): Promise<void> {
    await this.storage.ready;
    const now = this.now();
    const live: Array<[string, Remembered]> = [];
    const stale: string[] = [];
    for (const stored of await this.storage.keys()) {
      if (!stored.startsWith(PREFIX)) continue;
      const entry = await this.storage.getItem<StoredEntry>(stored);
      if (entry === null || !(entry.e > now)) {
        stale.push(stored);
        continue;
      }
      if (entry.o === undefined) this.recovery.unknown++;
      live.push([
        JSON.parse(stored.slice(PREFIX.length)) as string,
        { outcome: entry.o ?? OUTCOME_UNKNOWN, expiresAt: entry.e },
      ]);
    }
    live.sort((a, b) => a[1].expiresAt - b[1].expiresAt);
    for (const [key, remembered] of live) this.done.set(key, remembered);
    this.lastExpiresAt = live.length > 0 ? live[live.length - 1]![1].expiresAt : 0;
    this.recovery.entries = live.length;
    this.recovery.expired = stale.length;
    await Promise.all(stale.map((key) => this.storage.removeItem(key)));
    this.loaded = true;
  }
}

function storageKey(key: string): string {
  return PREFIX + JSON.stringify(key);
}
