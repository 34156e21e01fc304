import type { SchedulerLike } from 'rxjs';
import { MessagePriority } from '../protocol/enums';
import type { StorageAdapter } from '../storage/storage-adapter';
import type { StorageFallback } from './storage-fallback';

/**
 * An event handler property, checked the way methods are (bivariantly), so the
 * handler types of `ws` and of the DOM (`(event: MessageEvent) => void`) fit.
 */
type Handler<E> = { bivariant(event: E): void }['bivariant'];

/** The subset of the WHATWG WebSocket the client uses; `ws` and every browser provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string; wasClean?: boolean }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Reconnection backoff beyond the seed's `reconnectInterval` (its initial delay). */
export interface BackoffConfig {
  /** Growth factor between attempts. @default 2 */
  multiplier?: number;
  /** Upper bound of one delay, ms. @default 30000 */
  maxInterval?: number;
  /** Spreads reconnecting clients apart so a restarted server is not stampeded. @default 'full' */
  jitter?: 'none' | 'full' | 'equal';
  /** Source of randomness for jitter (tests seed it). @default Math.random */
  random?: () => number;
}

/** The seed's ConnectionConfig; every default is the seed's. */
export interface ConnectionConfig {
  url: string;
  /** WebSocket sub-protocols. */
  protocols?: string[];
  /** Reconnect automatically after a lost connection. @default true */
  reconnect?: boolean;
  /** Initial reconnection delay, ms; doubles per attempt (see `backoff`). @default 1000 */
  reconnectInterval?: number;
  /** Reconnection attempts before giving up (state `error`). @default 5 */
  maxReconnectAttempts?: number;
  /**
   * Time budget of one run of reconnection, ms, beside `maxReconnectAttempts`
   * (whichever runs out first ends it, state `error`). It starts at the failure
   * that starts reconnecting and pauses while a session is up; a session that
   * proves stable (one `heartbeatInterval`) ends the run. At the deadline the
   * attempt in progress, or the wait for the next one, is given up on.
   * `Infinity`: no time limit. @default Infinity
   */
  reconnectTimeout?: number;
  /** Heartbeat ping interval, ms. @default 5000 */
  heartbeatInterval?: number;
  /**
   * Time a ping may go unanswered before it counts as missed, ms. May exceed
   * `heartbeatInterval` (a slow link: pings then overlap, and one pong answers
   * them all); a dead link is declared `(heartbeatMaxMissed - 1) * heartbeatInterval
   * + heartbeatTimeout` ms after its first unanswered ping either way. @default 3000
   */
  heartbeatTimeout?: number;
  /** Time to wait for a message's ack before resending it, ms. @default 10000 */
  messageTimeout?: number;
  /** Queue messages while disconnected (otherwise sending while disconnected fails at once). @default true */
  enableQueue?: boolean;
  /** Bound on accepted, unsettled messages (queued and in flight together). @default 1000 */
  queueSize?: number;
  /** Persist the queue so messages survive reloads and restarts. @default true */
  enablePersistence?: boolean;
  /** Storage key (and client identity scope) of the persisted queue. @default 'reliable_ws_client' */
  storageKey?: string;
}

export interface ReliableClientOptions extends Partial<Omit<ConnectionConfig, 'url'>> {
  /** Sent in the handshake frame, never in the URL. A function is called on every (re)connect. */
  apiKey?: string | (() => string | Promise<string>);
  /** Stable identity for server-side dedupe. @default persisted with the queue, generated once */
  clientId?: string;
  /** Where the queue persists. @default FileStorageAdapter in Node, BrowserStorageAdapter in browsers, memory without persistence */
  storage?: StorageAdapter;
  /** WebSocket implementation. @default `ws` in Node, `globalThis.WebSocket` in browsers */
  WebSocketCtor?: WebSocketConstructor;
  /** Scheduler for every timer (tests use TestScheduler; Angular can run timers outside its zone). @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Messages sent and not yet acknowledged, at most. @default 1000 */
  maxInFlight?: number;
  /** Resends of one message after an ack timeout. @default 3 */
  maxRetries?: number;
  /** Reconnection backoff shape. */
  backoff?: BackoffConfig;
  /** Missed heartbeats in a row that declare the link dead. @default 3 */
  heartbeatMaxMissed?: number;
  /** Time allowed from socket open to the server's welcome, ms. @default 10000 */
  connectTimeout?: number;
  /** Default priority of sent messages. @default MessagePriority.NORMAL */
  defaultPriority?: MessagePriority;
  /** Default time-to-live of a message, ms; must not exceed the server's dedupe window. @default 300000 */
  defaultTTL?: number;
  /**
   * One sender per `storageKey` across browser tabs: the tab holding the Web
   * Lock connects and drains the shared queue; the others persist into it and
   * hand over (see docs/browser.md). Applies where the platform has Web Locks
   * and BroadcastChannel and the storage is durable; ignored in Node.
   * @default true
   */
  singleSender?: boolean;
  /**
   * Durable storage unavailable (private mode, disabled) or over quota:
   * `'none'` rejects sends with `StorageError`; `'memory'` keeps going in
   * memory. Either way an `error` event says so and `getStats().durable` is false.
   * @default 'none'
   */
  storageFallback?: StorageFallback;
  /**
   * Reliable streams: `'auto'` commits each message once it is handed to
   * `messages$` subscribers; `'manual'` only on `client.commit(message)`, so an
   * app can advance its cursor after its own processing (a crash before that
   * redelivers the message, `redelivered: true`).
   * @default 'auto'
   */
  ackMode?: 'auto' | 'manual';
}

/** Options without a default stay optional. */
type OptionalOptions = 'apiKey' | 'clientId' | 'storage' | 'WebSocketCtor' | 'protocols';

export type ResolvedClientOptions = Required<Omit<ReliableClientOptions, OptionalOptions | 'backoff'>> &
  Pick<ReliableClientOptions, OptionalOptions> & {
    url: string;
    backoff: Required<BackoffConfig>;
  };

export const DEFAULT_CLIENT_OPTIONS = {
  reconnect: true,
  reconnectInterval: 1000,
  maxReconnectAttempts: 5,
  reconnectTimeout: Infinity,
  heartbeatInterval: 5000,
  heartbeatTimeout: 3000,
  messageTimeout: 10000,
  enableQueue: true,
  queueSize: 1000,
  enablePersistence: true,
  storageKey: 'reliable_ws_client',
  maxInFlight: 1000,
  maxRetries: 3,
  heartbeatMaxMissed: 3,
  connectTimeout: 10000,
  defaultPriority: MessagePriority.NORMAL,
  defaultTTL: 300000,
  singleSender: true,
  storageFallback: 'none',
  ackMode: 'auto',
} as const;

export const DEFAULT_BACKOFF_CONFIG: Required<BackoffConfig> = {
  multiplier: 2,
  maxInterval: 30000,
  jitter: 'full',
  random: Math.random,
};
