/** Buckets per dedupe window: a claim is forgotten at most a sixteenth of the window late. */
const BUCKETS = 16;

interface Tally {
  /** Claims per bucket, ring-indexed by `bucket % BUCKETS`. */
  counts: number[];
  /** The newest bucket counted in `counts`. */
  head: number;
  total: number;
}

/**
 * How many message ids each principal has claimed in the dedupe window, so
 * one principal can hold at most `maxPerPrincipal` of the store's entries and
 * a noisy or hostile account is refused alone (nack `DEDUPE_FULL`) while the
 * others keep their room. Counted in time buckets of a sixteenth of the
 * window: a few numbers per principal, nothing per message.
 */
export class PrincipalShare {
  private readonly tallies = new Map<string, Tally>();
  private readonly bucketMs: number;

  constructor(
    readonly maxPerPrincipal: number,
    windowMs: number,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
  }

  /** Claims one id for `principal`; `undefined` if within its share, else the ms until room frees up. */
  claim(principal: string, now: number): number | undefined {
    if (!Number.isFinite(this.maxPerPrincipal)) return undefined;
    const bucket = Math.floor(now / this.bucketMs);
    let tally = this.tallies.get(principal);
    if (tally === undefined) {
      tally = { counts: new Array<number>(BUCKETS).fill(0), head: bucket, total: 0 };
      this.tallies.set(principal, tally);
    }
    advance(tally, bucket);
    if (tally.total >= this.maxPerPrincipal) return this.retryAfter(tally, bucket, now);
    tally.counts[bucket % BUCKETS]!++;
    tally.total++;
    return undefined;
  }

  /** Gives back a claim that did not start (the id was known, or the store was full). */
  release(principal: string, now: number): void {
    const tally = this.tallies.get(principal);
    if (tally === undefined) return;
    const slot = Math.floor(now / this.bucketMs) % BUCKETS;
    if (tally.counts[slot]! > 0) {
      tally.counts[slot]!--;
      tally.total--;
    }
  }

  /** Ids counted for `principal` now. */
  count(principal: string, now: number): number {
    const tally = this.tallies.get(principal);
    if (tally === undefined) return 0;
    advance(tally, Math.floor(now / this.bucketMs));
    return tally.total;
  }

  /** Forgets principals with nothing in the window (called from the server's eviction timer). */
  sweep(now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    for (const [principal, tally] of this.tallies) {
      advance(tally, bucket);
      if (tally.total === 0) this.tallies.delete(principal);
    }
  }

  private retryAfter(tally: Tally, bucket: number, now: number): number {
    // The oldest non-empty bucket leaves the window first.
    for (let b = bucket - BUCKETS + 1; b <= bucket; b++) {
      if (tally.counts[((b % BUCKETS) + BUCKETS) % BUCKETS]! > 0)
        return Math.max(1, (b + BUCKETS) * this.bucketMs - now);
    }
    return this.bucketMs;
  }
}

/** Empties the buckets that left the window since `tally.head`. */
function advance(tally: Tally, bucket: number): void {
  if (bucket <= tally.head) return;
  const steps = Math.min(BUCKETS, bucket - tally.head);
  for (let i = 1; i <= steps; i++) {
    const slot = (tally.head + i) % BUCKETS;
    tally.total -= tally.counts[slot]!;
    tally.counts[slot] = 0;
  }
  tally.head = bucket;
}
