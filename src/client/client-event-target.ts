import type { ClientEvent, ClientEventMap, ClientEventType } from './client-events';

type ClientListener<K extends ClientEventType> =
  ((event: Event & { detail: ClientEventMap[K] }) => void) | EventListenerObject | null;

/**
 * An EventTarget typed by the client's event names, that knows whether a type
 * has listeners: building a DOM event per message is skipped when nobody listens.
 */
export class ClientEventTarget extends EventTarget {
  readonly #listeners = new Map<string, Set<unknown>>();

  override addEventListener<K extends ClientEventType>(
    type: K,
    listener: ClientListener<K>,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (!listener) return;
    const listeners = this.#listeners;
    listeners.set(type, (listeners.get(type) ?? new Set()).add(listener));
    super.addEventListener(type, listener as EventListener, options);
  }

  override removeEventListener<K extends ClientEventType>(
    type: K,
    listener: ClientListener<K>,
    options?: boolean | EventListenerOptions,
  ): void {
    this.#listeners.get(type)?.delete(listener);
    super.removeEventListener(type, listener as EventListener, options);
  }

  /** True if `type` has DOM listeners. */
  protected listens(type: ClientEventType): boolean {
    return !!this.#listeners.get(type)?.size;
  }

  /** Dispatches `event` as a DOM event if its type has listeners. */
  protected dispatch({ type, detail }: ClientEvent): void {
    if (this.#listeners.get(type)?.size) this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
