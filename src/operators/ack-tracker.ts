import { asyncScheduler } from 'rxjs';
import type { SchedulerLike, Subscription } from 'rxjs';
import { AckTimeoutError, MessageExpiredError, NackError } from '../protocol/errors';
import { checkCount, checkFunction, checkPositive, invalidOption } from '../protocol/option-checks';
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

/** Per-message overrides of {@link AckTracker.track}; undefined means the tracker's default. */
export interface AckTrackOptions {
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  /** Absolute time (on `scheduler.now()`) after which the message settles as expired, paused or not. */
  expiresAt?: number | undefined;
}

interface Entry<M> {
  readonly message: M;
  readonly seq: number;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly expiresAt: number;
  /** What a MessageExpiredError reports: expiresAt - track time. */
  readonly ttl: number;
  /** The first send, or the track time while never sent: where latency starts. */
  sentAt: number;
  /** 0 until first sent. */
  attempts: number;
  deadline: number;
  /** Its slot in its lane's `items` while it waits there for its ack deadline, else -1. */
  laneSlot: number;
  settled: boolean;
}

/**
 * Sent entries of one timeout in deadline (= send) order. A resend appends
 * the entry again and a settle clears its `laneSlot`: slots whose entry no
 * longer points at them are stale, skipped at the head and compacted away,
 * so a send costs an array push instead of a Map delete + set.
 */
interface Lane<M> {
  items: Entry<M>[];
  head: number;
}

/** A queue of stale slots longer than this over the live entries is compacted. */
const slack = (live: number): number => 2 * live + 32;

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
 * Deadlines live in one queue per distinct timeout ("lane"): within a lane
 * they are added in time order, so resending is an append and the next
 * deadline is the lane's first live entry, O(1) amortized when all messages
 * share the default timeout. The timer is only re-armed when a deadline
 * comes earlier than the armed one; a timer that finds nothing due re-arms.
 * Expiries that come in time order (one TTL, FIFO) queue the same way; the
 * others sit in a binary heap (the queue's PriorityHeap).
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
  readonly #config: AckTrackerConfig<M>;
  readonly #scheduler: SchedulerLike;
  /** Every pending entry in track order: the resend order. */
  readonly #entries = new Map<string, Entry<M>>();
  /** Sent entries by timeout, each lane in deadline order. Empty while paused. */
  readonly #lanes = new Map<number, Lane<M>>();
  /** Expiries in (expiresAt, seq) order as tracked; settled entries are skipped and compacted. */
  readonly #expiryQueue: Lane<M> = { items: [], head: 0 };
  /** Min-heap on (expiresAt, seq) for expiries that came out of order; settled entries are dropped when they surface. */
  readonly #expiries = new PriorityHeap<Entry<M>>();
  #timer: Subscription | undefined;
  /** When the timer fires; Infinity exactly when there is no timer. */
  #timerAt = Infinity;
  #seq = 0;
  #paused = false;
  #disposed = false;

  constructor(config: AckTrackerConfig<M>) {
    if (typeof config !== 'object' || config === null) throw invalidOption('config', 'an object', config);
    checkPositive('timeout', config.timeout);
    checkCount('maxRetries', config.maxRetries);
    checkFunction('send', config.send);
    checkFunction('onSettled', config.onSettled);
    this.#config = config;
    this.#scheduler = config.scheduler ?? asyncScheduler;
  }

  get size(): number {
    return this.#entries.size;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Ids of pending messages in track order. */
  pendingIds(): string[] {
    return [...this.#entries.keys()];
  }

  /** Sends `message` now (queues it while paused). Throws if its id is already pending. */
  track(message: M, options: AckTrackOptions = {}): void {
    if (this.#disposed) throw new Error('track() after dispose().');
    const id = message?.id;
    if (typeof id !== 'string') throw invalidOption('message.id', 'a string', id);
    if (this.#entries.has(id)) throw new Error(`Message ${id} is already tracked.`);
    const timeout = checkPositive('timeout', options.timeout ?? this.#config.timeout);
    const maxRetries = checkCount('maxRetries', options.maxRetries ?? this.#config.maxRetries);
    const expiresAt = options.expiresAt ?? Infinity;
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
      throw invalidOption('expiresAt', 'a time on scheduler.now()', expiresAt);
    }
    const now = this.#scheduler.now();
    const entry: Entry<M> = {
      message,
      seq: this.#seq++,
      timeout,
      maxRetries,
      expiresAt,
      ttl: Math.max(0, expiresAt - now),
      sentAt: now,
      attempts: 0,
      deadline: Infinity,
      laneSlot: -1,
      settled: false,
    };
    this.#entries.set(id, entry);
    if (expiresAt <= now) {
      this.#settle(entry, expiredError(entry));
      return;
    }
    if (expiresAt < Infinity) this.#pushExpiry(entry);
    if (!this.#paused) this.#sendAttempt(entry, 1, now);
    if (!entry.settled) this.#armFor(Math.min(entry.deadline, expiresAt));
  }

  /** Settles `id` as acknowledged; false (ignored) if it is not pending: unknown, late or duplicate. */
  ack(id: string, response?: unknown): boolean {
    const entry = this.#entries.get(id);
    return !!entry && this.#settle(entry, undefined, response);
  }

  /** Settles `id` with a `NackError`: the server refused it, so it is not retried. */
  nack(id: string, code: string, message: string, retryAfterMs?: number): boolean {
    return this.fail(id, new NackError(id, code, message, retryAfterMs));
  }

  /** Settles `id` with `error` from outside (e.g. evicted from a full queue). */
  fail(id: string, error: Error): boolean {
    const entry = this.#entries.get(id);
    return !!entry && this.#settle(entry, error);
  }

  /** The link is lost: ack deadlines stop (expiries do not), entries are kept, new ones queue. */
  pause(): void {
    // After dispose() there is nothing left to pause or resume: no entries, lanes, expiries or timer.
    if (this.#paused) return;
    this.#paused = true;
    for (const entry of this.#entries.values()) {
      entry.deadline = Infinity;
      entry.laneSlot = -1;
    }
    this.#lanes.clear();
    this.#rearm();
  }

  /** The link is back: resends every pending entry in track order, same attempt number, fresh deadline. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // A snapshot: send() may ack, settle, track or pause re-entrantly.
    for (const entry of [...this.#entries.values()]) {
      if (this.#paused) break;
      if (this.#entries.get(entry.message.id) === entry) this.#sendAttempt(entry, entry.attempts || 1);
    }
    this.#rearm();
  }

  /** Stops the timer. Pending entries are dropped, or settled with `error` if one is given. */
  dispose(error?: Error): void {
    this.#disposed = true;
    this.#cancelTimer();
    const pending = [...this.#entries.values()];
    this.#entries.clear();
    this.#lanes.clear();
    this.#clearExpiries();
    if (error) for (const entry of pending) this.#settle(entry, error);
  }

  #sendAttempt(entry: Entry<M>, attempt: number, now = this.#scheduler.now()): void {
    const { message, timeout } = entry;
    if (!entry.attempts) entry.sentAt = now;
    entry.attempts = attempt;
    entry.deadline = now + timeout;
    let lane = this.#lanes.get(timeout);
    if (!lane) this.#lanes.set(timeout, (lane = { items: [], head: 0 }));
    // Appended at the end (a resend leaves a stale slot behind): the lane stays in deadline order.
    entry.laneSlot = this.#append(lane, entry, true);
    try {
      this.#config.send(message, attempt);
    } catch (error) {
      this.fail(message.id, error instanceof Error ? error : new Error(String(error)));
    }
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    try {
      const now = this.#scheduler.now();
      let e: Entry<M> | undefined;
      // Expiry first: an expired message is never resent.
      while ((e = this.#peekExpiry()) && e.expiresAt <= now) this.#settle(e, expiredError(e));
      while ((e = this.#nextDeadline()) && e.deadline <= now) {
        if (e.attempts <= e.maxRetries) this.#sendAttempt(e, e.attempts + 1);
        else this.#settle(e, new AckTimeoutError(e.message.id, e.attempts, e.timeout));
      }
    } finally {
      this.#rearm();
    }
  }

  /** The lane head with the earliest deadline (track order on ties); lanes found empty are dropped. */
  #nextDeadline(): Entry<M> | undefined {
    let best: Entry<M> | undefined;
    for (const [timeout, lane] of this.#lanes) {
      const head = headOf(lane, true);
      if (!head) this.#lanes.delete(timeout);
      else if (!best || (head.deadline - best.deadline || head.seq - best.seq) < 0) best = head;
    }
    return best;
  }

  /**
   * Appends `entry` to `queue` (a lane, or the expiry queue), compacting stale slots first when
   * they outnumber the live entries; returns its slot.
   */
  #append(queue: Lane<M>, entry: Entry<M>, lane: boolean): number {
    const { items } = queue;
    if (items.length - queue.head > slack(this.#entries.size)) compact(queue, lane);
    items.push(entry);
    return items.length - 1;
  }

  #armFor(at: number): void {
    // No timer means #timerAt is Infinity, so this also skips at = Infinity. Nothing arms after
    // dispose(): track() throws and every other caller finds nothing pending.
    if (this.#timerAt <= at) return;
    this.#cancelTimer();
    this.#timerAt = at;
    this.#timer = this.#scheduler.schedule(() => this.#fire(), Math.max(0, at - this.#scheduler.now()));
  }

  #rearm(): void {
    const at = Math.min(
      this.#peekExpiry()?.expiresAt ?? Infinity,
      this.#nextDeadline()?.deadline ?? Infinity,
    );
    if (at === Infinity) this.#cancelTimer();
    else this.#armFor(at); // an earlier timer is kept: it finds nothing due and re-arms
  }

  #cancelTimer(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** Settles as failed with `error`, else as acknowledged with `response`. */
  #settle(entry: Entry<M>, error: Error | undefined, response?: unknown): true {
    const { message, attempts } = entry;
    this.#entries.delete(message.id);
    entry.settled = true;
    entry.laneSlot = -1;
    let outcome: AckOutcome<M>;
    if (error) outcome = { message, acknowledged: false, attempts, error };
    else {
      outcome = { message, acknowledged: true, attempts, latency: this.#scheduler.now() - entry.sentAt };
      if (response !== undefined) outcome.response = response;
    }
    if (!this.#entries.size) this.#idle();
    this.#config.onSettled(outcome);
    return true;
  }

  /** Nothing pending: no timer, and the queues drop their stale slots (keeping their arrays for the next message). */
  #idle(): void {
    this.#cancelTimer();
    for (const [timeout, lane] of this.#lanes) {
      if (timeout === this.#config.timeout) lane.items.length = lane.head = 0;
      else this.#lanes.delete(timeout);
    }
    this.#clearExpiries();
  }

  #clearExpiries(): void {
    const queue = this.#expiryQueue;
    queue.items.length = queue.head = 0;
    this.#expiries.clear();
  }

  /**
   * An expiry no earlier than the last queued one is appended to the queue (the common case:
   * one TTL, FIFO). Any other goes to the heap, the queue's PriorityHeap: earliest expiry first
   * (priority -expiresAt), ties in push (= track) order.
   */
  #pushExpiry(entry: Entry<M>): void {
    const queue = this.#expiryQueue;
    const { items } = queue;
    if (items.length === queue.head || entry.expiresAt >= items[items.length - 1]!.expiresAt) {
      this.#append(queue, entry, false);
      return;
    }
    const expiries = this.#expiries;
    if (expiries.size > slack(this.#entries.size)) {
      // Settled entries are only dropped when they surface; sweep them before they pile up.
      expiries.removeWhere((e) => e.settled);
    }
    expiries.push(entry, -entry.expiresAt);
  }

  /** The earliest pending expiry, (expiresAt, seq) order across the queue and the heap. */
  #peekExpiry(): Entry<M> | undefined {
    const expiries = this.#expiries;
    let top;
    while ((top = expiries.peek()) && top.settled) expiries.pop();
    const head = headOf(this.#expiryQueue, false);
    if (!top || !head) return top ?? head;
    return (top.expiresAt - head.expiresAt || top.seq - head.seq) < 0 ? top : head;
  }
}

/** Whether slot `i` of a queue is live: in a lane, the entry still points at it; in the expiry queue, it is pending. */
function isLive(entry: Entry<{ id: string }>, i: number, lane: boolean): boolean {
  return lane ? entry.laneSlot === i : !entry.settled;
}

/** The first live entry of `queue`, stale slots before it dropped; an emptied queue restarts at 0. */
function headOf<M extends { id: string }>(queue: Lane<M>, lane: boolean): Entry<M> | undefined {
  const { items } = queue;
  let i = queue.head;
  while (i < items.length && !isLive(items[i]!, i, lane)) i++;
  if (i === items.length) {
    items.length = queue.head = 0;
    return undefined;
  }
  queue.head = i;
  return items[i];
}

/** Keeps the live entries in order, from slot 0 (lane entries learn their new slot). */
function compact<M extends { id: string }>(queue: Lane<M>, lane: boolean): void {
  const { items } = queue;
  let kept = 0;
  for (let i = queue.head; i < items.length; i++) {
    const entry = items[i]!;
    if (!isLive(entry, i, lane)) continue;
    if (lane) entry.laneSlot = kept;
    items[kept++] = entry;
  }
  items.length = kept;
  queue.head = 0;
}

function expiredError(e: Entry<{ id: string }>): MessageExpiredError {
  return new MessageExpiredError(e.message.id, e.ttl);
}
