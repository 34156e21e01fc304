import { asyncScheduler } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { AckTimeoutError, MessageExpiredError, NackError } from '../protocol/errors';
import { PriorityHeap } from '../queue/binary-heap';

/** Options of {@link AckTracker}. */
export interface AckTrackerConfig<M> {
  /** Ms to wait for the ack of each attempt (overridable per message). */
  timeout: number;
  /** Resends after the first attempt: at most `1 + maxRetries` sends (overridable per message). */
  maxRetries: number;
  /** Writes the frame; `attempt` starts at 1. A throw settles the message with that error. */
  send: (message: M, attempt: number) => void;
  /** Called once per message with how it ended. */
  onSettled: (outcome: AckOutcome<M>) => void;
  /** Clock and the one timer. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** How a tracked message ended. `latency` runs from its first send. */
export type AckOutcome<M> =
  | { message: M; acknowledged: true; attempts: number; latency: number; response?: unknown }
  | {
      message: M;
      acknowledged: false;
      attempts: number;
      error: AckTimeoutError | NackError | MessageExpiredError | Error;
    };

/** Per-message overrides of {@link AckTracker.track}. */
export interface AckTrackOptions {
  timeout?: number;
  maxRetries?: number;
  /** Absolute time (on `scheduler.now()`) after which the message settles as expired, paused or not. */
  expiresAt?: number;
}

interface Entry<M> {
  readonly message: M;
  readonly seq: number;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly expiresAt: number;
  readonly trackedAt: number;
  attempts: number;
  firstSentAt: number;
  deadline: number;
}

/**
 * The delivery hot path: sends each message, resends it when its ack does not
 * come within `timeout`, and settles it exactly once (acked, nacked, timed
 * out after `1 + maxRetries` attempts, expired, or failed from outside).
 * No observable per message: a Map of pending entries and one scheduler
 * timer armed for the earliest deadline.
 *
 * ```
 * timeout 3, maxRetries 1            1, 2: send attempts of a and b
 * track:     a-b-----------
 * send:      1-1--2-2------
 * ack:       ---------b----
 * settled:   --------A(b)--           A: AckTimeoutError after 2 attempts, b: acked (latency 7)
 * ```
 *
 * Deadlines live in one Map per distinct timeout ("lane"): within a lane they
 * are added in time order, so resending is delete + re-insert and the next
 * deadline is the lane's first entry, O(1) amortized when all messages share
 * the default timeout. The timer is only re-armed when a deadline comes
 * earlier than the armed one; a timer that finds nothing due re-arms.
 * Expiries, in any order, sit in a binary heap (the queue's PriorityHeap).
 *
 * `pause()` (link lost) stops ack deadlines but not expiries and queues new
 * messages; `resume()` resends everything pending in track order without
 * counting an attempt.
 *
 * ## Example
 * ```ts
 * const tracker = new AckTracker<{ id: string }>({
 *   timeout: 1000, maxRetries: 2,
 *   send: (m, attempt) => console.log(`send ${m.id} #${attempt}`),
 *   onSettled: (o) => console.log(o.acknowledged ? `acked ${o.message.id}` : o.error.message),
 * });
 * tracker.track({ id: 'a' });
 * // ...1000 ms without an ack...
 * tracker.ack('a');
 * tracker.ack('a'); // duplicate: ignored, returns false
 * // Output:
 * // send a #1
 * // send a #2
 * // acked a
 * ```
 */
export class AckTracker<M extends { id: string }> {
  private readonly scheduler: SchedulerLike;
  /** Every pending entry in track order: the resend order. */
  private readonly entries = new Map<string, Entry<M>>();
  /** Sent entries keyed by timeout, each Map in deadline order. Empty while paused. */
  private readonly lanes = new Map<number, Map<string, Entry<M>>>();
  /** Min-heap on (expiresAt, seq); settled entries are dropped when they surface. */
  private readonly expiries = new PriorityHeap<Entry<M>>();
  private timer: Subscription | undefined;
  private timerAt = Infinity;
  private seq = 0;
  private isPaused = false;
  private disposed = false;

  constructor(private readonly config: AckTrackerConfig<M>) {
    if (config === null || typeof config !== 'object') {
      throw new TypeError('AckTracker: `config` must be an object.');
    }
    checkTimeout(config.timeout);
    checkRetries(config.maxRetries);
    for (const name of ['send', 'onSettled'] as const) {
      if (typeof config[name] !== 'function') {
        throw new TypeError(`AckTracker: \`${name}\` must be a function.`);
      }
    }
    this.scheduler = config.scheduler ?? asyncScheduler;
  }

  get size(): number {
    return this.entries.size;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Ids of pending messages in track order. */
  pendingIds(): string[] {
    return [...this.entries.keys()];
  }

  /** Sends `message` now (queues it while paused). Throws if its id is already pending. */
  track(message: M, options: AckTrackOptions = {}): void {
    if (this.disposed) throw new Error('AckTracker: track() after dispose().');
    const id = message?.id;
    if (typeof id !== 'string') throw new TypeError('AckTracker: `message.id` must be a string.');
    if (this.entries.has(id)) throw new Error(`AckTracker: message ${id} is already being tracked.`);
    const timeout = checkTimeout(options.timeout ?? this.config.timeout);
    const maxRetries = checkRetries(options.maxRetries ?? this.config.maxRetries);
    const expiresAt = options.expiresAt ?? Infinity;
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
      throw new TypeError(
        `AckTracker: \`expiresAt\` must be a time on scheduler.now() (got ${String(expiresAt)}).`,
      );
    }
    const now = this.scheduler.now();
    const seq = this.seq++;
    const entry: Entry<M> = {
      message,
      seq,
      timeout,
      maxRetries,
      expiresAt,
      trackedAt: now,
      attempts: 0,
      firstSentAt: NaN,
      deadline: Infinity,
    };
    this.entries.set(id, entry);
    if (expiresAt <= now) {
      this.settle(entry, this.expiredError(entry));
      return;
    }
    if (expiresAt !== Infinity) this.pushExpiry(entry);
    if (!this.isPaused) this.sendAttempt(entry, 1);
    if (this.entries.get(id) === entry) this.armFor(Math.min(entry.deadline, expiresAt));
  }

  /** Settles `id` as acknowledged; false (ignored) if it is not pending: unknown, late or duplicate. */
  ack(id: string, response?: unknown): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    const sentAt = Number.isNaN(entry.firstSentAt) ? entry.trackedAt : entry.firstSentAt;
    const latency = this.scheduler.now() - sentAt;
    const outcome: AckOutcome<M> = {
      message: entry.message,
      acknowledged: true,
      attempts: entry.attempts,
      latency,
    };
    if (response !== undefined) outcome.response = response;
    this.finish(entry, outcome);
    return true;
  }

  /** Settles `id` with a `NackError`: the server refused it, so it is not retried. */
  nack(id: string, code: string, message: string, retryAfterMs?: number): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && this.settle(entry, new NackError(id, code, message, retryAfterMs));
  }

  /** Settles `id` with `error` from outside (e.g. evicted from a full queue). */
  fail(id: string, error: Error): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && this.settle(entry, error);
  }

  /** The link is lost: ack deadlines stop (expiries do not), entries are kept, new ones queue. */
  pause(): void {
    if (this.isPaused || this.disposed) return;
    this.isPaused = true;
    for (const entry of this.entries.values()) entry.deadline = Infinity;
    this.lanes.clear();
    this.rearm();
  }

  /** The link is back: resends every pending entry in track order, same attempt number, fresh deadline. */
  resume(): void {
    if (!this.isPaused || this.disposed) return;
    this.isPaused = false;
    // A snapshot: send() may ack, settle, track or pause re-entrantly.
    for (const entry of [...this.entries.values()]) {
      if (this.isPaused) break;
      if (this.entries.get(entry.message.id) === entry) this.sendAttempt(entry, Math.max(entry.attempts, 1));
    }
    this.rearm();
  }

  /** Stops the timer. Pending entries are dropped, or settled with `error` if one is given. */
  dispose(error?: Error): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelTimer();
    const pending = [...this.entries.values()];
    this.entries.clear();
    this.lanes.clear();
    this.expiries.clear();
    if (error) for (const entry of pending) this.settle(entry, error);
  }

  private sendAttempt(entry: Entry<M>, attempt: number): void {
    const now = this.scheduler.now();
    const id = entry.message.id;
    entry.attempts = attempt;
    if (Number.isNaN(entry.firstSentAt)) entry.firstSentAt = now;
    entry.deadline = now + entry.timeout;
    let lane = this.lanes.get(entry.timeout);
    if (!lane) this.lanes.set(entry.timeout, (lane = new Map()));
    lane.delete(id); // re-insert at the end: the lane stays in deadline order
    lane.set(id, entry);
    try {
      this.config.send(entry.message, attempt);
    } catch (error) {
      this.fail(id, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    try {
      const now = this.scheduler.now();
      // Expiry first: an expired message is never resent.
      for (let e = this.peekExpiry(); e && e.expiresAt <= now; e = this.peekExpiry()) {
        this.settle(e, this.expiredError(e));
      }
      for (let e = this.dueEntry(now); e; e = this.dueEntry(now)) {
        if (e.attempts < 1 + e.maxRetries) this.sendAttempt(e, e.attempts + 1);
        else this.settle(e, new AckTimeoutError(e.message.id, e.attempts, e.timeout));
      }
    } finally {
      this.rearm();
    }
  }

  /** The lane head with the earliest deadline <= now (track order on ties), or undefined. */
  private dueEntry(now: number): Entry<M> | undefined {
    let best: Entry<M> | undefined;
    for (const lane of this.lanes.values()) {
      const head = lane.values().next().value;
      if (head && head.deadline <= now && (!best || compareDeadline(head, best) < 0)) best = head;
    }
    return best;
  }

  private armFor(at: number): void {
    if (at === Infinity || this.disposed || (this.timer && this.timerAt <= at)) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timer = this.scheduler.schedule(() => this.fire(), Math.max(0, at - this.scheduler.now()));
  }

  private rearm(): void {
    let at = this.peekExpiry()?.expiresAt ?? Infinity;
    for (const lane of this.lanes.values()) {
      at = Math.min(at, lane.values().next().value?.deadline ?? Infinity);
    }
    if (at === Infinity) this.cancelTimer();
    else this.armFor(at); // an earlier timer is kept: it finds nothing due and re-arms
  }

  private cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private expiredError(e: Entry<M>): MessageExpiredError {
    return new MessageExpiredError(e.message.id, Math.max(0, e.expiresAt - e.trackedAt));
  }

  private settle(entry: Entry<M>, error: Error): boolean {
    this.finish(entry, { message: entry.message, acknowledged: false, attempts: entry.attempts, error });
    return true;
  }

  private finish(entry: Entry<M>, outcome: AckOutcome<M>): void {
    const id = entry.message.id;
    this.entries.delete(id);
    const lane = this.lanes.get(entry.timeout);
    if (lane?.delete(id) && lane.size === 0) this.lanes.delete(entry.timeout);
    if (this.entries.size === 0) this.cancelTimer();
    this.config.onSettled(outcome);
  }

  /** The expiry heap is the queue's PriorityHeap: earliest expiry first (priority -expiresAt), ties by seq. */
  private pushExpiry(entry: Entry<M>): void {
    if (this.expiries.size > 2 * this.entries.size + 32) {
      // Settled entries are only dropped when they surface; sweep them before they pile up.
      this.expiries.removeWhere((e) => this.entries.get(e.message.id) !== e);
    }
    this.expiries.push(entry, -entry.expiresAt, entry.seq);
  }

  private peekExpiry(): Entry<M> | undefined {
    let top = this.expiries.peek();
    while (top && this.entries.get(top.message.id) !== top) {
      this.expiries.pop();
      top = this.expiries.peek();
    }
    return top;
  }
}

function compareDeadline(a: { deadline: number; seq: number }, b: { deadline: number; seq: number }): number {
  return a.deadline - b.deadline || a.seq - b.seq;
}

function checkTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`AckTracker: \`timeout\` must be a finite number of ms > 0 (got ${String(value)}).`);
  }
  return value;
}

function checkRetries(value: unknown): number {
  if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity) || value < 0) {
    throw new TypeError(`AckTracker: \`maxRetries\` must be an integer >= 0 (got ${String(value)}).`);
  }
  return value;
}
