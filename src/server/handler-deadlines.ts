/**
 * Deadlines of running handlers, all `timeoutMs` long, so the Map's insertion
 * order is deadline order: one timer, armed for the oldest, serves them all
 * (a timer per message would cost more than the message).
 */
export class HandlerDeadlines {
  private readonly due = new Map<number, { at: number; expire: () => void }>();
  private nextToken = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.due.size;
  }

  /** Calls `expire` once `timeoutMs` from now unless `cancel(token)` comes first. */
  add(expire: () => void): number {
    const token = ++this.nextToken;
    if (!Number.isFinite(this.timeoutMs)) return token;
    const at = this.now() + this.timeoutMs;
    this.due.set(token, { at, expire });
    if (this.timer === undefined) this.arm(at);
    return token;
  }

  cancel(token: number): void {
    this.due.delete(token);
    if (this.due.size === 0) this.disarm();
  }

  /** Stops the timer; pending deadlines never fire (the server is closing). */
  stop(): void {
    this.due.clear();
    this.disarm();
  }

  private arm(at: number): void {
    this.timer = setTimeout(this.sweep, Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly sweep = (): void => {
    this.timer = undefined;
    const now = this.now();
    for (const [token, entry] of this.due) {
      if (entry.at > now) {
        this.arm(entry.at);
        return;
      }
      this.due.delete(token);
      entry.expire();
    }
  };
}
