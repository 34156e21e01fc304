import { asyncScheduler, Observable, Subject, type SchedulerLike } from 'rxjs';
import { QueueFullError, StorageError, ValidationError } from '../protocol/errors';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';
import { HeldMessages } from './held-messages';
import {
  resolveMessageQueueConfig,
  validateEnqueue,
  type EnqueueMessage,
  type EnqueueOptions,
  type MessageQueueConfig,
} from './message-queue-config';
import { QueueStore } from './queue-store';
import { createMessageId, type QueuedMessage } from './queued-message';

const RESOLVED: Promise<void> = Promise.resolve();

/** A message pushed out of a full queue by a higher-priority one. */
export interface EvictedMessage {
  message: QueuedMessage;
  error: QueueFullError;
}

export interface MessageQueueOptions {
  /** Clock for `createdAt`/`expiresAt`. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * The persisted priority queue: highest priority first, FIFO within a priority,
 * bounded by `maxSize`, with a TTL per message.
 *
 * A message is `pending` until `dequeue()` (gone for good) or `lease()` (handed
 * out but still held and persisted until `settle(id)`): the client leases so a
 * message is deleted only once it is acked or has finally failed. `size` counts
 * both. Without persistence every operation is synchronous underneath: the
 * message is available as soon as `enqueue` returns.
 *
 * ## Example
 * ```ts
 * const queue = new MessageQueue({ maxSize: 2, enablePersistence: false });
 * await queue.enqueue({ type: 'A' });
 * await queue.enqueue({ type: 'B' }, { priority: MessagePriority.CRITICAL });
 * [queue.dequeue()?.type, queue.dequeue()?.type];
 * // Output: ['B', 'A']
 * ```
 */
export class MessageQueue {
  /** Resolves once persisted messages are restored; rejects with a `StorageError` if they cannot be read. */
  readonly ready: Promise<void>;
  readonly config: Readonly<MessageQueueConfig>;

  /** Pending (in pop order) and leased messages. */
  readonly #held = new HeldMessages();
  /** Victims held aside while the message evicting them is being persisted. */
  readonly #evicting = new Map<string, QueuedMessage>();
  /** Accepted messages still being persisted: they hold a slot already. */
  readonly #reserved = new Map<string, QueuedMessage>();
  /**
   * Messages still being persisted that a higher-priority newcomer chose as its
   * victim: false while the newcomer's own write is in flight (the victim is held
   * aside when it lands), true once the newcomer is in (the victim is evicted as
   * soon as it lands). They no longer hold a slot.
   */
  readonly #doomed = new Map<string, boolean>();
  readonly #storage: StorageAdapter;
  readonly #store: QueueStore;
  readonly #persist: boolean;
  readonly #scheduler: SchedulerLike;
  /** `ready`, with its failure handled (reported on errors$ and by every enqueue instead). */
  readonly #settledReady: Promise<void>;
  #meta = new Map<string, unknown>();
  #nextSeq = 0;
  #isReady: boolean;
  #closed = false;
  /** Set by `#record`: the message its newcomer evicts (read at once, in the same call). */
  #victimOf: QueuedMessage | undefined;

  /** Changes of `size`, emitted only while someone observes (`#lastSize` is always kept). */
  readonly #size = new Subject<number>();
  #lastSize = 0;
  /** The outbox's direct hook: called where `available$` emits, without a Subject per message. */
  readonly #availableListeners: Array<(message: QueuedMessage) => void> = [];
  readonly #expired = new Subject<QueuedMessage>();
  readonly #evicted = new Subject<EvictedMessage>();
  readonly #errors = new Subject<StorageError>();
  readonly #available = new Subject<QueuedMessage>();

  /** The current `size`, then every change of it. */
  readonly size$: Observable<number> = new Observable<number>((subscriber) => {
    const subscription = this.#size.subscribe(subscriber);
    if (!subscription.closed) subscriber.next(this.#lastSize);
    return subscription;
  });
  /** Messages found expired (by `dequeue`, `lease`, `removeExpired`, or a full queue), removed. */
  readonly expired$: Observable<QueuedMessage> = this.#expired.asObservable();
  /** Pending messages evicted by a higher-priority one while the queue was full. */
  readonly evicted$: Observable<EvictedMessage> = this.#evicted.asObservable();
  /** Storage failures nobody awaits (background removals, unreadable records, failed restore). */
  readonly errors$: Observable<StorageError> = this.#errors.asObservable();
  /** Each message as it becomes pending after `ready`: accepted, or back after a failed eviction. */
  readonly available$: Observable<QueuedMessage> = this.#available.asObservable();

  constructor(
    config: Partial<MessageQueueConfig> = {},
    storage: StorageAdapter = new MemoryStorageAdapter(),
    options: MessageQueueOptions = {},
  ) {
    this.config = resolveMessageQueueConfig(config);
    this.#storage = storage;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#persist = this.config.enablePersistence;
    this.#store = new QueueStore(storage, this.config.storageKey);
    this.#isReady = !this.#persist;
    this.ready = this.#persist ? this.#restore() : Promise.resolve();
    // Must not also crash the process as an unhandled rejection.
    this.#settledReady = this.ready.catch(() => undefined);
  }

  /** Pending plus leased messages (accepted and not yet settled). */
  get size(): number {
    return this.#held.size;
  }

  get pendingCount(): number {
    return this.#held.pendingCount;
  }

  get leasedCount(): number {
    return this.#held.leasedCount;
  }

  /** True when accepted messages survive a restart: persistence on and a durable adapter. */
  get durable(): boolean {
    return this.#persist && this.#storage.durable;
  }

  /** The earliest `expiresAt` among pending messages (for one expiry timer), or undefined. O(n). */
  nextExpiry(): number | undefined {
    let next = Infinity;
    for (const m of this.#held.pending()) next = Math.min(next, m.expiresAt);
    return next < Infinity ? next : undefined;
  }

  /**
   * Accepts a message. Resolves with the queued record once it is persisted;
   * rejects with `ValidationError` (bad input), `QueueFullError` (full, and no
   * pending message of lower priority to evict) or `StorageError`.
   */
  enqueue<T = unknown>(message: EnqueueMessage<T>, options?: EnqueueOptions): Promise<QueuedMessage<T>> {
    const invalid = validateEnqueue(message, options);
    if (invalid) return Promise.reject(invalid);
    // Not an async function: one promise per message on the hot path.
    return this.#isReady
      ? this.#accept(message, options)
      : this.ready.then(() => this.#accept(message, options));
  }

  /**
   * Calls `listener` with each message as it becomes pending, where `available$`
   * emits, without an observable per message (the outbox's hot path). Returns the
   * function that removes it.
   */
  onAvailable(listener: (message: QueuedMessage) => void): () => void {
    this.#availableListeners.push(listener);
    return () => {
      const at = this.#availableListeners.indexOf(listener);
      if (at >= 0) this.#availableListeners.splice(at, 1);
    };
  }

  /** Removes and returns the next live message; expired ones on the way are reported and dropped. */
  dequeue(): QueuedMessage | undefined {
    return this.#take(false);
  }

  /** Like `dequeue`, but the message stays held and persisted until `settle(id)`. */
  lease(): QueuedMessage | undefined {
    return this.#take(true);
  }

  /** The next message `dequeue` would consider, left in place (it may be expired). */
  peek(): QueuedMessage | undefined {
    return this.#held.peek();
  }

  /**
   * Forgets a leased or pending message, in memory and storage. Unknown ids resolve.
   * Without persistence it is done when this returns (one shared resolved promise).
   */
  settle(id: string): Promise<void> {
    return this.#drop(id) && this.#persist ? this.#store.delete(id) : RESOLVED;
  }

  /** Removes a held message; resolves `true` if there was one, once storage forgot it. */
  remove(id: string): Promise<boolean> {
    if (!this.#drop(id)) return Promise.resolve(false);
    return this.#persist ? this.#store.delete(id).then(() => true) : Promise.resolve(true);
  }

  /** Removes every held message (pending and leased), in memory and storage. */
  async clear(): Promise<void> {
    const ids = [...this.#held.ids(), ...this.#evicting.keys()];
    this.#held.clear();
    this.#evicting.clear();
    this.#emitSize();
    if (this.#persist) await Promise.all(ids.map((id) => this.#store.delete(id)));
  }

  /** Removes the pending messages whose TTL has run out, reports them on `expired$` and returns them. */
  removeExpired(): QueuedMessage[] {
    const now = this.#scheduler.now();
    const expired = this.#removePending((m) => m.expiresAt <= now);
    for (const m of expired) {
      this.#forget(m.id);
      this.#expired.next(m);
    }
    this.#emitSize();
    return expired;
  }

  /** Reads a value stored beside the queue (e.g. the client's `clientId`). */
  async getMeta<T = unknown>(key: string): Promise<T | null> {
    await this.ready;
    return (this.#meta.get(key) as T | undefined) ?? null;
  }

  /** Stores a value beside the queue; resolves once persisted. */
  async setMeta<T = unknown>(key: string, value: T): Promise<void> {
    await this.ready;
    this.#meta.set(key, value);
    if (this.#persist) await this.#store.writeMeta(this.#meta);
  }

  /**
   * Stops accepting messages, waits for pending storage writes, completes the
   * observables. The storage adapter is left open (it may be shared).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#settledReady;
    await this.#store.idle();
    for (const s of [this.#size, this.#expired, this.#evicted, this.#errors, this.#available]) s.complete();
  }

  /**
   * Without persistence, where `enqueue` is synchronous underneath: accepts the
   * message at once and returns its record, or throws what `enqueue` would reject
   * with. No promise: the client's hot path. Throws a `TypeError` with persistence on.
   */
  enqueueNow<T = unknown>(message: EnqueueMessage<T>, options?: EnqueueOptions): QueuedMessage<T> {
    if (this.#persist)
      throw new TypeError('MessageQueue.enqueueNow needs enablePersistence: false; use enqueue().');
    const invalid = validateEnqueue(message, options);
    if (invalid) throw invalid;
    const queued = this.#record(message, options);
    return this.#admit(queued, this.#victimOf);
  }

  #accept<T>(message: EnqueueMessage<T>, options: EnqueueOptions = {}): Promise<QueuedMessage<T>> {
    let queued: QueuedMessage<T>;
    try {
      queued = this.#record(message, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const victim = this.#victimOf;
    const id = queued.id;
    // Without persistence the message is pending as soon as `enqueue` returns.
    if (!this.#persist) return Promise.resolve(this.#admit(queued, victim));
    // Until the write is done, the newcomer holds a slot and its victim is held aside.
    this.#reserved.set(id, queued);
    if (victim && !this.#doomed.has(victim.id)) this.#evicting.set(victim.id, victim);
    return this.#store.write(queued).then(
      () => {
        const held = this.#unreserve(id, victim);
        // A doomed victim still in flight is evicted as soon as it lands.
        if (!held && victim && this.#doomed.has(victim.id)) this.#doomed.set(victim.id, true);
        return this.#land(queued, held ? victim : undefined);
      },
      (error: unknown) => {
        this.#doomed.delete(id);
        // The newcomer was refused, so its victim keeps its place.
        if (this.#unreserve(id, victim)) this.#addPending(victim!);
        else if (victim) this.#doomed.delete(victim.id);
        throw error;
      },
    );
  }

  /**
   * Checks an accepted message against the queue (open, id not held, room, by
   * evicting a lower priority if full) and builds its record; throws what
   * `enqueue` rejects with. The victim chosen, if any, is left in `#victimOf`.
   */
  #record<T>(message: EnqueueMessage<T>, options: EnqueueOptions = {}): QueuedMessage<T> {
    this.#victimOf = undefined;
    if (this.#closed) throw new StorageError('UNAVAILABLE', 'The MessageQueue is closed.');
    const config = this.config;
    const { id = createMessageId(), priority = config.defaultPriority, ttl = config.defaultTTL } = options;
    if (options.id !== undefined && this.#holds(id)) {
      throw new ValidationError(`Message ${id} is already queued.`, 'id');
    }
    if (this.#isFull()) this.removeExpired();
    if (this.#isFull()) {
      const victim = this.#victim();
      if (victim === undefined || victim.priority >= priority) throw new QueueFullError(config.maxSize);
      // A victim still being persisted is doomed instead: it is held aside or evicted once it lands.
      if (this.#reserved.has(victim.id)) this.#doomed.set(victim.id, false);
      else this.#removePending((m) => m === victim);
      this.#victimOf = victim;
    }
    const now = this.#scheduler.now();
    return {
      id,
      type: message.type,
      payload: message.payload as T,
      priority,
      createdAt: now,
      expiresAt: now + ttl,
      seq: this.#nextSeq++,
    };
  }

  /** The newcomer's write is done: it is in, unless a higher priority chose it as its victim meanwhile. */
  #land<T>(queued: QueuedMessage<T>, victim: QueuedMessage | undefined): QueuedMessage<T> {
    const doomed = this.#doomed.get(queued.id);
    if (doomed === undefined) return this.#admit(queued, victim);
    this.#doomed.delete(queued.id);
    if (victim) this.#evict(victim);
    // Accepted, then evicted at once (its evictor is in) or held aside until its evictor is.
    if (doomed) this.#evict(queued);
    else this.#evicting.set(queued.id, queued);
    return queued;
  }

  /**
   * The lowest-priority oldest message that may be evicted: pending, or accepted
   * and still being persisted (not already some newcomer's victim). O(n), only when full.
   */
  #victim(): QueuedMessage | undefined {
    let victim: QueuedMessage | undefined;
    for (const m of [...this.#held.pending(), ...this.#reserved.values()])
      if (!this.#doomed.has(m.id) && (!victim || (m.priority - victim.priority || m.seq - victim.seq) < 0))
        victim = m;
    return victim;
  }

  #evict(victim: QueuedMessage): void {
    this.#forget(victim.id);
    this.#evicted.next({ message: victim, error: new QueueFullError(this.config.maxSize, victim.id, true) });
  }

  /** Makes `queued` pending, evicting `victim` for good. */
  #admit<T>(queued: QueuedMessage<T>, victim: QueuedMessage | undefined): QueuedMessage<T> {
    if (victim) this.#evict(victim);
    this.#addPending(queued);
    return queued;
  }

  /** Frees the slot `id` reserved; true if its victim is still held aside (not removed meanwhile). */
  #unreserve(id: string, victim: QueuedMessage | undefined): boolean {
    this.#reserved.delete(id);
    return victim !== undefined && this.#evicting.delete(victim.id);
  }

  #take(lease: boolean): QueuedMessage | undefined {
    const held = this.#held;
    // An empty queue needs no clock: the outbox asks once more after each drain.
    if (held.pendingCount === 0) return undefined;
    const now = this.#scheduler.now();
    let m: QueuedMessage | undefined;
    while ((m = held.pop()) !== undefined) {
      const expired = m.expiresAt <= now;
      if (lease && !expired) {
        held.lease(m.id);
        return m;
      }
      held.forget(m.id);
      this.#forget(m.id);
      this.#emitSize();
      if (!expired) return m;
      this.#expired.next(m);
    }
    return undefined;
  }

  /** Drops a held message from memory; true if there was one. */
  #drop(id: string): boolean {
    const found = this.#held.drop(id) || this.#evicting.delete(id);
    if (found) this.#emitSize();
    return found;
  }

  #isFull(): boolean {
    return this.size + this.#reserved.size - this.#doomed.size >= this.config.maxSize;
  }

  #holds(id: string): boolean {
    return this.#held.has(id) || this.#evicting.has(id) || this.#reserved.has(id);
  }

  #removePending(predicate: (m: QueuedMessage) => boolean): QueuedMessage[] {
    return this.#held.removePending(predicate);
  }

  #addPending(message: QueuedMessage): void {
    this.#held.addPending(message);
    this.#emitSize();
    const listeners = this.#availableListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(message);
    if (this.#available.observed) this.#available.next(message);
  }

  /** Background removal from storage: nobody awaits it, so failures go to errors$. */
  #forget(id: string): void {
    if (this.#persist) this.#store.delete(id).catch((error: StorageError) => this.#errors.next(error));
  }

  #emitSize(): void {
    const size = this.size;
    if (size === this.#lastSize) return;
    this.#lastSize = size;
    if (this.#size.observed) this.#size.next(size);
  }

  async #restore(): Promise<void> {
    try {
      const { messages, meta, corrupt } = await this.#store.restore();
      this.#meta = meta;
      for (const m of messages) {
        this.#held.addPending(m);
        this.#nextSeq = Math.max(this.#nextSeq, m.seq + 1);
      }
      this.#isReady = true;
      this.#emitSize();
      for (const error of corrupt) this.#errors.next(error);
    } catch (error) {
      this.#errors.next(error as StorageError);
      throw error;
    }
  }
}
