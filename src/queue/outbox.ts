import { Observable, Subject } from 'rxjs';
import { invalidOption } from '../protocol/option-checks';
import type { MessageQueue } from './message-queue';
import type { QueuedMessage } from './queued-message';

/** Configuration of an {@link Outbox}. */
export interface OutboxConfig {
  /**
   * Most messages leased from the queue and not yet settled. The window is the queue's own
   * `leasedCount` (no Set of ids beside it): the outbox is meant to be its queue's only lessee.
   */
  maxInFlight: number;
  /**
   * Called with each leased message instead of emitting it on `drain$` (which then
   * stays silent): one direct call per message, for a hot path. @default undefined
   */
  deliver?: (message: QueuedMessage) => void;
}

/**
 * The queue's drain valve: buffers while the gate (the connection) is closed,
 * and while it is open leases messages in priority order onto `drain$`, never
 * more than `maxInFlight` unsettled at once.
 *
 * ```
 * gate:     --c------o---------c--    (enqueue a,b,c while closed; window 2)
 * settle:   -------------a---------
 * drain$:   ---------ab--c---------
 * ```
 *
 * Draining is a plain loop re-entered through a flag, so a subscriber that
 * settles synchronously inside an emission does not recurse.
 *
 * ## Example
 * ```ts
 * const outbox = new Outbox(queue, { maxInFlight: 2 });
 * outbox.drain$.subscribe((m) => socket.send(m));
 * state$.subscribe((s) => outbox.setGate(s === ConnectionState.CONNECTED));
 * // on ack: outbox.settle(id)
 * ```
 */
export class Outbox {
  /** Hot: leased messages, emitted only while the gate is open and someone subscribes. */
  readonly drain$: Observable<QueuedMessage>;

  readonly #queue: MessageQueue;
  readonly #subject = new Subject<QueuedMessage>();
  readonly #maxInFlight: number;
  readonly #stopAvailable: () => void;
  readonly #deliver: ((message: QueuedMessage) => void) | undefined;
  #disposed = false;
  #gateOpen = false;
  #draining = false;
  #again = false;

  constructor(queue: MessageQueue, config: OutboxConfig) {
    const maxInFlight = config?.maxInFlight;
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1) {
      throw invalidOption('maxInFlight', 'a positive integer', maxInFlight);
    }
    this.#queue = queue;
    this.#maxInFlight = maxInFlight;
    this.#deliver = config.deliver;
    this.drain$ = new Observable<QueuedMessage>((subscriber) => {
      const subscription = this.#subject.subscribe(subscriber);
      // A message leased with nobody listening would be stuck in flight: drain only once someone is.
      this.notify();
      return subscription;
    });
    this.#stopAvailable = queue.onAvailable(() => this.notify());
  }

  /** Messages leased from the queue and not yet settled (its `leasedCount`). */
  get inFlight(): number {
    return this.#queue.leasedCount;
  }

  get isOpen(): boolean {
    return this.#gateOpen;
  }

  /** Opens (drains at once) or closes (nothing more is leased) the gate. */
  setGate(open: boolean): void {
    this.#gateOpen = open;
    if (open) this.notify();
  }

  /** Settles a message in the queue and frees its window slot; the drain continues synchronously. */
  settle(id: string): Promise<void> {
    const settled = this.#queue.settle(id);
    this.notify();
    return settled;
  }

  /** Drains now if the gate and the window allow. Called by itself on every new message. */
  notify(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#again = false;
        const deliver = this.#deliver;
        const queue = this.#queue;
        while (this.#gateOpen && queue.leasedCount < this.#maxInFlight && this.#listening()) {
          const message = queue.lease();
          if (message === undefined) break;
          if (deliver) deliver(message);
          else this.#subject.next(message);
        }
      } while (this.#again);
    } finally {
      this.#draining = false;
    }
  }

  /** Stops draining and completes `drain$` (which leaves nobody to drain to); leased messages stay leased in the queue. */
  dispose(): void {
    this.#disposed = true;
    this.#stopAvailable();
    this.#subject.complete();
  }

  /** Someone takes leased messages: `deliver`, or a subscriber of `drain$`. */
  #listening(): boolean {
    return this.#deliver ? !this.#disposed : this.#subject.observed;
  }
}
