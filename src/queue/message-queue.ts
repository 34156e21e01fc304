import { asyncScheduler, BehaviorSubject, Subject, type Observable, type SchedulerLike } from 'rxjs';
import { QueueFullError, StorageError, ValidationError } from '../protocol/errors';
import { MemoryStorageAdapter } from '../storage/memory-storage-adapter';
import type { StorageAdapter } from '../storage/storage-adapter';
import { PriorityHeap } from './binary-heap';
import {
  resolveMessageQueueConfig,
  validateEnqueue,
  type EnqueueMessage,
  type EnqueueOptions,
  type MessageQueueConfig,
} from './message-queue-config';
import { QueueStore } from './queue-store';
import { createMessageId, type QueuedMessage } from './queued-message';

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

  /** Pending messages. No id index beside it: lookups by id are rare and O(n) is fine there. */
  private readonly heap = new PriorityHeap<QueuedMessage>();
  private readonly leased = new Map<string, QueuedMessage>();
  /** Victims held aside while the message evicting them is being persisted. */
  private readonly evicting = new Map<string, QueuedMessage>();
  /** Ids of accepted messages still being persisted: they hold a slot already. */
  private readonly reserved = new Set<string>();
  private readonly store: QueueStore;
  private readonly persist: boolean;
  private readonly scheduler: SchedulerLike;
  private meta = new Map<string, unknown>();
  private nextSeq = 0;
  private isReady: boolean;
  private closed = false;

  private readonly sizeSubject = new BehaviorSubject<number>(0);
  private readonly expiredSubject = new Subject<QueuedMessage>();
  private readonly evictedSubject = new Subject<EvictedMessage>();
  private readonly errorsSubject = new Subject<StorageError>();
  private readonly availableSubject = new Subject<QueuedMessage>();

  /** The current `size`, then every change of it. */
  readonly size$: Observable<number> = this.sizeSubject.asObservable();
  /** Messages found expired (by `dequeue`, `lease`, `removeExpired`, or a full queue), removed. */
  readonly expired$: Observable<QueuedMessage> = this.expiredSubject.asObservable();
  /** Pending messages evicted by a higher-priority one while the queue was full. */
  readonly evicted$: Observable<EvictedMessage> = this.evictedSubject.asObservable();
  /** Storage failures nobody awaits (background removals, unreadable records, failed restore). */
  readonly errors$: Observable<StorageError> = this.errorsSubject.asObservable();
  /** Each message as it becomes pending: accepted, restored, or released from a lease. */
  readonly available$: Observable<QueuedMessage> = this.availableSubject.asObservable();

  constructor(
    config: Partial<MessageQueueConfig> = {},
    private readonly storage: StorageAdapter = new MemoryStorageAdapter(),
    options: MessageQueueOptions = {},
  ) {
    this.config = resolveMessageQueueConfig(config);
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.persist = this.config.enablePersistence;
    this.store = new QueueStore(storage, this.config.storageKey);
    this.isReady = !this.persist;
    this.ready = this.persist ? this.restore() : Promise.resolve();
    // Marked handled: a failed restore is reported on errors$ and by every enqueue,
    // it must not also crash the process as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Pending plus leased messages (accepted and not yet settled). */
  get size(): number {
    return this.heap.size + this.leased.size;
  }

  get pendingCount(): number {
    return this.heap.size;
  }

  get leasedCount(): number {
    return this.leased.size;
  }

  /** True when accepted messages survive a restart: persistence on and a durable adapter. */
  get durable(): boolean {
    return this.persist && this.storage.durable;
  }

  /** The earliest `expiresAt` among pending messages (for one expiry timer), or undefined. O(n). */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    this.heap.forEach((m) => {
      if (next === undefined || m.expiresAt < next) next = m.expiresAt;
    });
    return next;
  }

  /**
   * Accepts a message. Resolves with the queued record once it is persisted;
   * rejects with `ValidationError` (bad input), `QueueFullError` (full, and no
   * pending message of lower priority to evict) or `StorageError`.
   */
  enqueue<T = unknown>(message: EnqueueMessage<T>, options?: EnqueueOptions): Promise<QueuedMessage<T>> {
    const invalid = validateEnqueue(message, options);
    if (invalid) return Promise.reject(invalid);
    if (!this.isReady) return this.ready.then(() => this.accept(message, options));
    return this.accept(message, options);
  }

  /** Removes and returns the next live message; expired ones on the way are reported and dropped. */
  dequeue(): QueuedMessage | undefined {
    return this.take(false);
  }

  /** Like `dequeue`, but the message stays held and persisted until `settle(id)`. */
  lease(): QueuedMessage | undefined {
    return this.take(true);
  }

  /** The next message `dequeue` would consider, left in place (it may be expired). */
  peek(): QueuedMessage | undefined {
    return this.heap.peek();
  }

  /** Forgets a leased or pending message, in memory and storage. Unknown ids resolve. */
  async settle(id: string): Promise<void> {
    await this.remove(id);
  }

  /** Removes a held message; resolves `true` if there was one, once storage forgot it. */
  remove(id: string): Promise<boolean> {
    const message = this.detach(id);
    if (message === undefined) return Promise.resolve(false);
    this.emitSize();
    return this.persist ? this.store.delete(id).then(() => true) : Promise.resolve(true);
  }

  /** Puts a leased message back among the pending ones, in its original place. */
  release(id: string): boolean {
    const message = this.leased.get(id);
    if (message === undefined) return false;
    this.leased.delete(id);
    this.addPending(message);
    return true;
  }

  /** Puts every leased message back among the pending ones, in original order. */
  releaseLeases(): void {
    const messages = [...this.leased.values()].sort((a, b) => a.seq - b.seq);
    for (const m of messages) this.release(m.id);
  }

  /** Removes every held message (pending and leased), in memory and storage. */
  async clear(): Promise<void> {
    const ids = [...this.heap.toArray().map((m) => m.id), ...this.leased.keys(), ...this.evicting.keys()];
    this.heap.clear();
    this.leased.clear();
    this.evicting.clear();
    this.emitSize();
    if (this.persist) await Promise.all(ids.map((id) => this.store.delete(id)));
  }

  /** Removes the pending messages whose TTL has run out, reports them on `expired$` and returns them. */
  removeExpired(): QueuedMessage[] {
    const now = this.scheduler.now();
    const expired = this.heap.removeWhere((m) => m.expiresAt <= now);
    for (const m of expired) {
      this.forget(m.id);
      this.expiredSubject.next(m);
    }
    if (expired.length > 0) this.emitSize();
    return expired;
  }

  /** Reads a value stored beside the queue (e.g. the client's `clientId`). */
  async getMeta<T = unknown>(key: string): Promise<T | null> {
    await this.ready;
    return this.meta.has(key) ? (this.meta.get(key) as T) : null;
  }

  /** Stores a value beside the queue; resolves once persisted. */
  async setMeta<T = unknown>(key: string, value: T): Promise<void> {
    await this.ready;
    this.meta.set(key, value);
    if (this.persist) await this.store.writeMeta(this.meta);
  }

  /**
   * Stops accepting messages, waits for pending storage writes, completes the
   * observables. The storage adapter is left open (it may be shared).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.store.idle();
    for (const s of [
      this.sizeSubject,
      this.expiredSubject,
      this.evictedSubject,
      this.errorsSubject,
      this.availableSubject,
    ]) {
      s.complete();
    }
  }

  private accept<T>(
    message: EnqueueMessage<T>,
    options: EnqueueOptions | undefined,
  ): Promise<QueuedMessage<T>> {
    if (this.closed) {
      return Promise.reject(
        new StorageError('UNAVAILABLE', 'The queue is closed; create a new MessageQueue.'),
      );
    }
    const id = options?.id ?? createMessageId();
    if (options?.id !== undefined && this.holds(id)) {
      return Promise.reject(new ValidationError(`enqueue: a message with id ${id} is already queued.`, 'id'));
    }
    const priority = options?.priority ?? this.config.defaultPriority;
    let victim: QueuedMessage | undefined;
    if (this.size + this.reserved.size >= this.config.maxSize) {
      this.removeExpired();
      if (this.size + this.reserved.size >= this.config.maxSize) {
        victim = this.heap.findLowest();
        if (victim === undefined || victim.priority >= priority) {
          return Promise.reject(new QueueFullError(this.config.maxSize));
        }
        this.heap.remove(victim);
      }
    }
    const now = this.scheduler.now();
    const queued: QueuedMessage<T> = {
      id,
      type: message.type,
      payload: message.payload as T,
      priority,
      createdAt: now,
      expiresAt: now + (options?.ttl ?? this.config.defaultTTL),
      seq: this.nextSeq++,
    };
    if (!this.persist) {
      if (victim) this.evict(victim);
      this.addPending(queued);
      return Promise.resolve(queued);
    }
    this.reserved.add(id);
    if (victim) this.evicting.set(victim.id, victim);
    return this.store.write(queued).then(
      () => {
        this.reserved.delete(id);
        if (victim && this.evicting.delete(victim.id)) this.evict(victim);
        this.addPending(queued);
        return queued;
      },
      (error: StorageError) => {
        this.reserved.delete(id);
        // The newcomer was refused, so its victim keeps its place.
        if (victim && this.evicting.delete(victim.id)) this.addPending(victim);
        throw error;
      },
    );
  }

  private take(lease: boolean): QueuedMessage | undefined {
    let now: number | undefined;
    for (;;) {
      const m = this.heap.pop();
      if (m === undefined) return undefined;
      now ??= this.scheduler.now();
      if (m.expiresAt <= now) {
        this.forget(m.id);
        this.emitSize();
        this.expiredSubject.next(m);
        continue;
      }
      if (lease) {
        this.leased.set(m.id, m);
      } else {
        this.forget(m.id);
        this.emitSize();
      }
      return m;
    }
  }

  private evict(victim: QueuedMessage): void {
    this.forget(victim.id);
    this.evictedSubject.next({
      message: victim,
      error: new QueueFullError(this.config.maxSize, victim.id, true),
    });
  }

  private addPending(message: QueuedMessage): void {
    this.heap.push(message, message.priority, message.seq);
    this.emitSize();
    this.availableSubject.next(message);
  }

  /** Takes a held message out of memory (wherever it is); storage is the caller's business. */
  private detach(id: string): QueuedMessage | undefined {
    const message = this.leased.get(id) ?? this.evicting.get(id);
    if (message === undefined) return this.heap.remove((m) => m.id === id);
    this.leased.delete(id);
    this.evicting.delete(id);
    return message;
  }

  private holds(id: string): boolean {
    return (
      this.leased.has(id) ||
      this.evicting.has(id) ||
      this.reserved.has(id) ||
      this.heap.find((m) => m.id === id) !== undefined
    );
  }

  /** Background removal from storage: nobody awaits it, so failures go to errors$. */
  private forget(id: string): void {
    if (!this.persist) return;
    this.store.delete(id).catch((error: StorageError) => this.errorsSubject.next(error));
  }

  private emitSize(): void {
    const size = this.size;
    if (size !== this.sizeSubject.value) this.sizeSubject.next(size);
  }

  private async restore(): Promise<void> {
    try {
      const restored = await this.store.restore();
      this.meta = restored.meta;
      for (const m of restored.messages) {
        this.heap.push(m, m.priority, m.seq);
        if (m.seq >= this.nextSeq) this.nextSeq = m.seq + 1;
      }
      this.isReady = true;
      this.emitSize();
      for (const error of restored.corrupt) this.errorsSubject.next(error);
    } catch (error) {
      this.errorsSubject.next(error as StorageError);
      throw error;
    }
  }
}
