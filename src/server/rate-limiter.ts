/**
 * Token bucket: holds up to `burst` tokens, refilled at `perSecond`. One per
 * connection; the clock is injected so it can be driven by a test.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond))
      throw new TypeError(`\`perSecond\` must be a positive number, got ${perSecond}.`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new TypeError(`\`burst\` must be a positive integer, got ${burst}.`);
    this.perMs = perSecond / 1000;
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token: 0 if granted, otherwise the ms until one is available (at least 1). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs));
  }
}
