import type { ClientEventMap, ClientEventType } from './client-events';

type ClientListener<K extends ClientEventType> =
  ((event: Event & { detail: ClientEventMap[K] }) => void) | EventListenerObject | null;

/**
 * An EventTarget typed by the client's event names, that knows whether a type
 * has listeners: building a DOM event per message is skipped when nobody listens.
 */
export class ClientEventTarget extends EventTarget {
  private readonly listeners = new Map<string, Set<unknown>>();

  override addEventListener<K extends ClientEventType>(
    type: K,
    listener: ClientListener<K>,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (!listener) return;
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    super.addEventListener(type, listener as EventListener, options);
  }

  override removeEventListener<K extends ClientEventType>(
    type: K,
    listener: ClientListener<K>,
    options?: boolean | EventListenerOptions,
  ): void {
    if (!listener) return;
    this.listeners.get(type)?.delete(listener);
    super.removeEventListener(type, listener as EventListener, options);
  }

  protected hasListeners(type: ClientEventType): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }
}
