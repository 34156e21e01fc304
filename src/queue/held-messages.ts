import { PriorityHeap } from './binary-heap';
import type { QueuedMessage } from './queued-message';

/**
 * The queue's settled-state index: pending messages in pop order (a heap) and
 * every held id, pending or leased, in one Map whose value says which. A lease
 * flips an entry's flag in place instead of moving the id from one collection
 * to another: one hash table to grow and shrink per message, not two.
 *
 * `pop` takes a message off the heap and leaves its id held: the caller then
 * `lease`s it or `forget`s it.
 */
export class HeldMessages {
  readonly #heap = new PriorityHeap<QueuedMessage>();
  /** Held id -> true once leased, false while pending. */
  readonly #held = new Map<string, boolean>();

  /** Pending plus leased. */
  get size(): number {
    return this.#held.size;
  }

  get pendingCount(): number {
    return this.#heap.size;
  }

  get leasedCount(): number {
    return this.#held.size - this.#heap.size;
  }

  has(id: string): boolean {
    return this.#held.has(id);
  }

  /** Pending messages in storage order (not pop order). */
  pending(): IterableIterator<QueuedMessage> {
    return this.#heap[Symbol.iterator]();
  }

  /** Every held id, pending and leased. */
  ids(): IterableIterator<string> {
    return this.#held.keys();
  }

  /** Adds a pending message in its (priority, seq) place. */
  addPending(message: QueuedMessage): void {
    this.#heap.push(message, message.priority, message.seq);
    this.#held.set(message.id, false);
  }

  peek(): QueuedMessage | undefined {
    return this.#heap.peek();
  }

  /** The next pending message, off the heap; its id stays held until `lease` or `forget`. */
  pop(): QueuedMessage | undefined {
    return this.#heap.pop();
  }

  /** Marks a popped message as leased. */
  lease(id: string): void {
    this.#held.set(id, true);
  }

  /** Forgets a popped (or leased) message's id. */
  forget(id: string): void {
    this.#held.delete(id);
  }

  /** Drops a held message, pending or leased; true if there was one. */
  drop(id: string): boolean {
    const leased = this.#held.get(id);
    if (leased === undefined) return false;
    if (leased) return this.#held.delete(id);
    return this.removePending((m) => m.id === id).length > 0;
  }

  /** Removes the pending messages that satisfy `predicate`, returned in pop order. */
  removePending(predicate: (m: QueuedMessage) => boolean): QueuedMessage[] {
    const removed = this.#heap.removeWhere(predicate);
    for (const m of removed) this.#held.delete(m.id);
    return removed;
  }

  clear(): void {
    this.#heap.clear();
    this.#held.clear();
  }
}
