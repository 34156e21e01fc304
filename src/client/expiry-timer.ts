import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * One scheduler timer, armed for the earliest known deadline: queued messages
 * expire at their exact TTL without a timer per message. `sweep` removes what
 * is due and returns the deadlines still pending so the timer can re-arm.
 */
export class ExpiryTimer {
  private armedAt = Infinity;
  private handle: Subscription | undefined;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly sweep: () => unknown,
    private readonly nextDeadline: () => number | undefined = () => undefined,
  ) {}

  schedule(deadline: number): void {
    if (deadline >= this.armedAt || !Number.isFinite(deadline)) return;
    this.handle?.unsubscribe();
    this.armedAt = deadline;
    const delay = Math.max(0, deadline - this.scheduler.now());
    this.handle = this.scheduler.schedule(() => this.fire(), delay);
  }

  dispose(): void {
    this.handle?.unsubscribe();
    this.handle = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.handle = undefined;
    this.armedAt = Infinity;
    this.sweep();
    const next = this.nextDeadline();
    if (next !== undefined) this.schedule(next);
  }
}
