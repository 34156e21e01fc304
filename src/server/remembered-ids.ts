import type { DedupeOutcome } from './dedupe-store';

/**
 * The ids of one key prefix (a session key plus a message id prefix): counter →
 * sequence number. The first is held in two fields and a Map made only for a
 * second, so ids that each bring a new prefix (not the reference client's) cost no Map each.
 */
class PrefixIds {
  private counter = -1;
  private seq = -1;
  private many: Map<number, number> | undefined;
  constructor(readonly prefix: string) {}

  get size(): number {
    return this.many !== undefined ? this.many.size : this.seq >= 0 ? 1 : 0;
  }

  get(counter: number): number | undefined {
    if (this.many !== undefined) return this.many.get(counter);
    return counter === this.counter && this.seq >= 0 ? this.seq : undefined;
  }

  set(counter: number, seq: number): void {
    if (this.many === undefined) {
      if (this.seq < 0 || counter === this.counter) {
        this.counter = counter;
        this.seq = seq;
        return;
      }
      this.many = new Map([[this.counter, this.seq]]);
    }
    this.many.set(counter, seq);
  }

  delete(counter: number): void {
    if (this.many !== undefined) this.many.delete(counter);
    else if (counter === this.counter) this.seq = -1;
  }
}

/** Base-36 digits a counter may have and stay exact in a double (36^10 < 2^53). */
const MAX_COUNTER_DIGITS = 10;
const NOT_FOUND = -1;
const MIN_CAPACITY = 16;
/** Sequence numbers are renumbered from 0 before they reach this (they stay small integers). */
const MAX_SEQ = 2 ** 30;

/** The value of a lowercase base-36 digit's char code, or -1. */
function digit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 122) return code - 87; // a-z
  return -1;
}

/**
 * The completed entries of the memory dedupe store, packed so that a
 * remembered id costs no object of its own (an object per id for 10 minutes
 * is promoted to old space and traced by every full GC).
 *
 * Keys of the usual form (anything, then a canonical base-36 counter, as
 * `session key + createMessageId()` gives) are split into their prefix and the
 * counter: one `PrefixIds` per prefix maps counters (small integers) to
 * sequence numbers. Any other key is kept whole in `others`. The split is a
 * bijection (the prefix ends with a char that is not a base-36 digit, the
 * counter has no leading zero), so two keys never share an entry.
 *
 * Entries are numbered in completion order and held in a ring of typed
 * columns at `seq & mask`; expiries are non-decreasing along it, so a sweep
 * stops at the first live entry. Growing or shrinking the ring moves entries
 * but keeps their numbers, so the index is not touched.
 */
export class RememberedIds {
  private readonly prefixes = new Map<string, PrefixIds>();
  private readonly others = new Map<string, number>();
  /** Per ring slot: the `PrefixIds` holding it, the whole key (in `others`), or undefined (free or removed). */
  private owners: (PrefixIds | string | undefined)[] = [];
  private counters = new Float64Array(0);
  private expiries = new Float64Array(0);
  private outcomes: (DedupeOutcome | undefined)[] = [];
  private mask = -1;
  /** Sequence number of the oldest slot in use. */
  private headSeq = 0;
  /** Slots in use from `headSeq` on, removed ones included. */
  private used = 0;
  private live = 0;
  /** The last prefix a key was split into, so a run of one session's ids costs no prefix lookup. */
  private lastPrefix: PrefixIds | undefined;
  // What `split` found for `splitKey` (fields, not a tuple: no allocation per call). The store's
  // usual calls (find, then add, of one key) split it once.
  private splitKey: string | undefined;
  private splitFound = false;
  private splitPrefix: PrefixIds | undefined;
  private splitCounter = 0;

  /** @param maxSeq Renumbering point (only a spec sets it lower, to see renumbering happen). */
  constructor(private readonly maxSeq = MAX_SEQ) {}

  get size(): number {
    return this.live;
  }

  /** The sequence number of the entry remembering `key`, or -1. */
  find(key: string): number {
    if (this.splitAnew(key, false)) {
      const seq = this.splitPrefix?.get(this.splitCounter);
      return seq ?? NOT_FOUND;
    }
    return this.others.get(key) ?? NOT_FOUND;
  }

  expiresAt(seq: number): number {
    return this.expiries[seq & this.mask]!;
  }

  outcome(seq: number): DedupeOutcome {
    return this.outcomes[seq & this.mask]!;
  }

  /** Forgets the entry `seq` (its ring slot stays taken until the sweep passes it). */
  remove(seq: number): void {
    const slot = seq & this.mask;
    const owner = this.owners[slot];
    if (owner === undefined) return;
    this.unindex(owner, slot, seq);
    this.owners[slot] = undefined;
    this.outcomes[slot] = undefined;
    this.live--;
  }

  /** Remembers `key` (not remembered now) as the newest entry; `expiresAt` must not be below the last one's. */
  add(key: string, outcome: DedupeOutcome, expiresAt: number): void {
    if (this.used === this.owners.length) this.resize(Math.max(MIN_CAPACITY, this.owners.length * 2), false);
    // Numbers stay small integers (no heap number per index entry): renumbered long before 2^31.
    if (this.headSeq + this.used >= this.maxSeq) this.resize(this.owners.length, true);
    const seq = this.headSeq + this.used;
    const slot = seq & this.mask;
    if (this.split(key, true)) {
      const prefix = this.splitPrefix!;
      prefix.set(this.splitCounter, seq);
      this.owners[slot] = prefix;
      this.counters[slot] = this.splitCounter;
    } else {
      this.others.set(key, seq);
      this.owners[slot] = key;
    }
    this.expiries[slot] = expiresAt;
    this.outcomes[slot] = outcome;
    this.used++;
    this.live++;
  }

  /** Forgets entries expired at `now`, oldest first; returns how many. */
  evictExpired(now: number): number {
    let evicted = 0;
    while (this.used > 0) {
      const seq = this.headSeq;
      const slot = seq & this.mask;
      const owner = this.owners[slot];
      if (owner !== undefined) {
        if (this.expiries[slot]! > now) break;
        this.unindex(owner, slot, seq);
        this.owners[slot] = undefined;
        this.outcomes[slot] = undefined;
        this.live--;
        evicted++;
      }
      this.headSeq++;
      this.used--;
    }
    // After a burst has expired, give its memory back.
    const capacity = this.owners.length;
    if (capacity > MIN_CAPACITY && this.used * 8 < capacity)
      this.resize(Math.max(MIN_CAPACITY, capacity / 4), false);
    return evicted;
  }

  /** When the oldest remembered entry expires, or undefined if none is. */
  oldestExpiry(): number | undefined {
    for (let i = 0; i < this.used; i++) {
      const slot = (this.headSeq + i) & this.mask;
      if (this.owners[slot] !== undefined) return this.expiries[slot];
    }
    return undefined;
  }

  private unindex(owner: PrefixIds | string, slot: number, seq: number): void {
    if (typeof owner === 'string') {
      this.others.delete(owner);
      return;
    }
    const counter = this.counters[slot]!;
    if (owner.get(counter) === seq) owner.delete(counter);
    if (owner.size === 0) {
      this.prefixes.delete(owner.prefix);
      if (this.lastPrefix === owner) this.lastPrefix = undefined;
      if (this.splitPrefix === owner) this.splitKey = undefined;
    }
  }

  /**
   * Splits `key` into `splitPrefix` (undefined when no such prefix is held and
   * `create` is false) and `splitCounter`; false when it is not of the usual form.
   */
  private split(key: string, create: boolean): boolean {
    // Usually the very string `find` just split (identical: no character compared).
    if (key === this.splitKey && (this.splitPrefix !== undefined || !create)) return this.splitFound;
    return this.splitAnew(key, create);
  }

  /** `split` without the cache (`find` is called with a new key: comparing it to the last one would read both). */
  private splitAnew(key: string, create: boolean): boolean {
    this.splitKey = key;
    this.splitFound = this.splitAt(key, create);
    return this.splitFound;
  }

  private splitAt(key: string, create: boolean): boolean {
    const end = key.length;
    let start = end;
    let counter = 0;
    while (start > 0 && end - start <= MAX_COUNTER_DIGITS && digit(key.charCodeAt(start - 1)) >= 0) start--;
    const digits = end - start;
    // Not a counter: none, too long (or a longer run of digits), the whole key, or a leading zero.
    if (digits === 0 || digits > MAX_COUNTER_DIGITS || start === 0) return false;
    if (digits > 1 && key.charCodeAt(start) === 48) return false;
    for (let i = start; i < end; i++) counter = counter * 36 + digit(key.charCodeAt(i));
    this.splitCounter = counter;
    // Sliced and compared whole (a builtin compare of flat strings): `startsWith`, inlined, reads
    // the key a character at a time (measured: ~4,000 instructions a call on the server).
    const prefixKey = key.slice(0, start);
    const last = this.lastPrefix;
    if (last !== undefined && last.prefix === prefixKey) {
      this.splitPrefix = last;
      return true;
    }
    let prefix = this.prefixes.get(prefixKey);
    if (prefix === undefined && create) {
      prefix = new PrefixIds(prefixKey);
      this.prefixes.set(prefixKey, prefix);
    }
    if (prefix !== undefined) this.lastPrefix = prefix;
    this.splitPrefix = prefix;
    return true;
  }

  /**
   * Moves the entries in use to a ring of `capacity` slots (a power of two, at
   * least `used`); with `renumber`, numbered from 0 again (the index updated).
   */
  private resize(capacity: number, renumber: boolean): void {
    const owners: (PrefixIds | string | undefined)[] = new Array<undefined>(capacity).fill(undefined);
    const counters = new Float64Array(capacity);
    const expiries = new Float64Array(capacity);
    const outcomes: (DedupeOutcome | undefined)[] = new Array<undefined>(capacity).fill(undefined);
    const mask = capacity - 1;
    const base = renumber ? 0 : this.headSeq;
    for (let i = 0; i < this.used; i++) {
      const from = (this.headSeq + i) & this.mask;
      const owner = this.owners[from];
      if (owner === undefined) continue;
      const seq = base + i;
      const to = seq & mask;
      owners[to] = owner;
      counters[to] = this.counters[from]!;
      expiries[to] = this.expiries[from]!;
      outcomes[to] = this.outcomes[from];
      if (!renumber) continue;
      if (typeof owner === 'string') this.others.set(owner, seq);
      else owner.set(counters[to]!, seq);
    }
    this.owners = owners;
    this.counters = counters;
    this.expiries = expiries;
    this.outcomes = outcomes;
    this.mask = mask;
    this.headSeq = base;
  }
}
