/**
 * A binary max-heap keyed by `(priority desc, seq asc)`: the highest priority
 * pops first and, within one priority, the earliest inserted (lowest `seq`).
 *
 * Items, priorities and sequence numbers live in three parallel arrays so a
 * push allocates no wrapper object: this sits on the queue's hot path.
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
  private readonly items: T[] = [];
  private readonly priorities: number[] = [];
  private readonly seqs: number[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /**
   * Adds `item`. `seq` orders items of equal priority; when omitted the heap
   * assigns one after every seq it has seen, so plain pushes are FIFO. Pass the
   * original `seq` to put an item back in its old place (restore, release).
   */
  push(item: T, priority: number, seq?: number): void {
    let s: number;
    if (seq === undefined) {
      s = this.nextSeq++;
    } else {
      s = seq;
      if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    }
    this.items.push(item);
    this.priorities.push(priority);
    this.seqs.push(s);
    this.siftUp(this.items.length - 1);
  }

  /** The next item to pop, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the highest-priority, oldest item. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    this.removeAt(0);
    return top;
  }

  /** Removes the first item that is `target` (identity) or satisfies it (predicate). O(n). */
  remove(target: T | ((item: T) => boolean)): T | undefined {
    const index =
      typeof target === 'function'
        ? this.items.findIndex(target as (item: T) => boolean)
        : this.items.indexOf(target);
    if (index < 0) return undefined;
    const item = this.items[index];
    this.removeAt(index);
    return item;
  }

  /** The first item (in storage order, not pop order) that satisfies `predicate`. O(n). */
  find(predicate: (item: T) => boolean): T | undefined {
    return this.items.find(predicate);
  }

  /** Visits every item in storage order (not pop order). */
  forEach(visit: (item: T) => void): void {
    for (let i = 0; i < this.items.length; i++) visit(this.items[i]);
  }

  /** Removes every item that satisfies `predicate`, returned in pop order. O(n log n). */
  removeWhere(predicate: (item: T) => boolean): T[] {
    const kept: number[] = [];
    const removed: number[] = [];
    for (let i = 0; i < this.items.length; i++) (predicate(this.items[i]) ? removed : kept).push(i);
    if (removed.length === 0) return [];
    const keptItems = kept.map((i) => [this.items[i], this.priorities[i], this.seqs[i]] as const);
    const result = this.sortedIndices(removed).map((i) => this.items[i]);
    this.items.length = this.priorities.length = this.seqs.length = 0;
    // Refilling then heapifying keeps seqs as they were (no renumbering).
    for (const [item, priority, seq] of keptItems) {
      this.items.push(item);
      this.priorities.push(priority);
      this.seqs.push(seq);
    }
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    return result;
  }

  /**
   * The lowest-priority item and, among those, the oldest: the eviction
   * candidate of a full queue. O(n), used only when the queue is full.
   */
  findLowest(predicate?: (item: T) => boolean): T | undefined {
    let best = -1;
    for (let i = 0; i < this.items.length; i++) {
      if (predicate && !predicate(this.items[i])) continue;
      if (
        best < 0 ||
        this.priorities[i] < this.priorities[best] ||
        (this.priorities[i] === this.priorities[best] && this.seqs[i] < this.seqs[best])
      ) {
        best = i;
      }
    }
    return best < 0 ? undefined : this.items[best];
  }

  /** Every item in pop order; the heap is left unchanged. O(n log n). */
  toArray(): T[] {
    return this.sortedIndices(this.items.map((_, i) => i)).map((i) => this.items[i]);
  }

  clear(): void {
    this.items.length = this.priorities.length = this.seqs.length = 0;
  }

  private sortedIndices(indices: number[]): number[] {
    return indices.sort((a, b) => this.priorities[b] - this.priorities[a] || this.seqs[a] - this.seqs[b]);
  }

  private removeAt(index: number): void {
    const last = this.items.length - 1;
    if (index !== last) this.move(last, index);
    this.items.pop();
    this.priorities.pop();
    this.seqs.pop();
    if (index < last) {
      this.siftDown(index);
      this.siftUp(index);
    }
  }

  /** True when the entry at `a` must pop before the one at `b`. */
  private before(a: number, b: number): boolean {
    const pa = this.priorities[a];
    const pb = this.priorities[b];
    return pa > pb || (pa === pb && this.seqs[a] < this.seqs[b]);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const n = this.items.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      if (!this.before(child, i)) break;
      this.swap(i, child);
      i = child;
    }
  }

  private move(from: number, to: number): void {
    this.items[to] = this.items[from];
    this.priorities[to] = this.priorities[from];
    this.seqs[to] = this.seqs[from];
  }

  private swap(a: number, b: number): void {
    const item = this.items[a];
    const priority = this.priorities[a];
    const seq = this.seqs[a];
    this.move(b, a);
    this.items[b] = item;
    this.priorities[b] = priority;
    this.seqs[b] = seq;
  }
}
