import type { QueuedMessage } from './queued-message';

/**
 * With persistence on, what the queue holds while storage writes are in flight:
 * accepted messages still being persisted (each holds a slot already), the
 * victims their newcomers chose (held aside until the newcomer lands), and the
 * persisting messages that a later, higher-priority newcomer chose as its victim
 * ("doomed": they land to be held aside or evicted, not to become pending).
 *
 * Every write begins with `begin` and ends with `landed` or `failed`.
 */
export class PersistingWrites {
  /** Accepted messages still being persisted: they hold a slot already. */
  readonly #reserved = new Map<string, QueuedMessage>();
  /** Victims held aside while the message evicting them is being persisted. */
  readonly #evicting = new Map<string, QueuedMessage>();
  /**
   * Messages still being persisted that a higher-priority newcomer chose as its
   * victim: false while the newcomer's own write is in flight (the victim is held
   * aside when it lands), true once the newcomer is in (the victim is evicted as
   * soon as it lands). They no longer hold a slot.
   */
  readonly #doomed = new Map<string, boolean>();

  /** Slots these writes hold beyond the queue's pending and leased messages. */
  get slots(): number {
    return this.#reserved.size - this.#doomed.size;
  }

  /** Whether `id` is being persisted or held aside. */
  holds(id: string): boolean {
    return this.#reserved.has(id) || this.#evicting.has(id);
  }

  /** Messages still being persisted that may still be chosen as a victim (not doomed already). */
  candidates(): QueuedMessage[] {
    return [...this.#reserved.values()].filter((m) => !this.#doomed.has(m.id));
  }

  /** Drops a victim held aside; true if it was. */
  dropHeldAside(id: string): boolean {
    return this.#evicting.delete(id);
  }

  /** Forgets every victim held aside; returns their ids. */
  clearHeldAside(): string[] {
    const ids = [...this.#evicting.keys()];
    this.#evicting.clear();
    return ids;
  }

  /** `queued`'s write begins: it holds a slot, and its victim (unless doomed already) is held aside. */
  begin(queued: QueuedMessage, victim: QueuedMessage | undefined): void {
    this.#reserved.set(queued.id, queued);
    if (victim && !this.#doomed.has(victim.id)) this.#evicting.set(victim.id, victim);
  }

  /** A newcomer chose `id` as its victim: doomed if it is still being persisted (true), else the caller removes it. */
  doom(id: string): boolean {
    const persisting = this.#reserved.has(id);
    if (persisting) this.#doomed.set(id, false);
    return persisting;
  }

  /**
   * `id`'s write is done: its slot is freed; true if its victim is still held aside (the
   * caller evicts it). A doomed victim still persisting is evicted as soon as it lands.
   */
  landed(id: string, victim: QueuedMessage | undefined): boolean {
    const held = this.#unreserve(id, victim);
    if (!held && victim && this.#doomed.has(victim.id)) this.#doomed.set(victim.id, true);
    return held;
  }

  /** `id`'s write failed: true if its victim is still held aside (the caller puts it back). */
  failed(id: string, victim: QueuedMessage | undefined): boolean {
    this.#doomed.delete(id);
    if (this.#unreserve(id, victim)) return true;
    if (victim) this.#doomed.delete(victim.id);
    return false;
  }

  /**
   * After `landed`: undefined if `id` was not doomed (it becomes pending), else whether its
   * evictor is in already (evict it now) or not (hold it aside); the doom is forgotten.
   */
  takeDoom(id: string): boolean | undefined {
    const doomed = this.#doomed.get(id);
    if (doomed !== undefined) this.#doomed.delete(id);
    return doomed;
  }

  /** Holds a landed, doomed message aside until its evictor is in. */
  holdAside(message: QueuedMessage): void {
    this.#evicting.set(message.id, message);
  }

  /** Frees the slot `id` reserved; true if its victim is still held aside (not removed meanwhile). */
  #unreserve(id: string, victim: QueuedMessage | undefined): boolean {
    this.#reserved.delete(id);
    return victim !== undefined && this.#evicting.delete(victim.id);
  }
}
