import type { Redis as IORedisClient, RedisOptions } from 'ioredis';
import { loadIoredis } from './load-ioredis';
import type { RedisArg, RedisPort, RedisScript } from './redis-port';

export interface IoredisPortOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * Your own ioredis client; give it `enableOfflineQueue: false` and a `commandTimeout` so outages
   * fail fast, and no ioredis `keyPrefix` (refused: use the backend's `keyPrefix`).
   */
  client?: IORedisClient;
  /** A command not answered within this many ms rejects (a frozen Redis fails closed). @default 1000 */
  commandTimeoutMs?: number;
}

/** What this port sets on the connections it opens: fail fast, pipeline per turn, reconnect forever. */
export function ioredisOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1000, commandTimeoutMs),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
    lazyConnect: false,
  };
}

type ScriptFn = (...args: RedisArg[]) => Promise<unknown>;

/**
 * The `RedisPort` on ioredis: auto-pipelining (every command of one
 * event-loop turn in one write), `defineCommand` for Lua (EVALSHA, loaded on
 * `NOSCRIPT`), a duplicate connection for pub/sub.
 */
export class IoredisPort implements RedisPort {
  private readonly client: IORedisClient;
  private subscriber: IORedisClient | undefined;
  private readonly owns: boolean;
  private readonly defined = new Set<string>();
  private readonly listeners = new Map<string, Set<(message: string) => void>>();
  private readonly connectionListeners = new Set<(up: boolean, error?: Error) => void>();
  private lastError: Error | undefined;

  constructor(options: IoredisPortOptions = {}) {
    const timeout = options.commandTimeoutMs ?? 1000;
    if (options.client !== undefined) {
      // The scripts build entry keys and channels from arguments, where ioredis cannot add its prefix:
      // such a node would miss the other nodes' entries and waiters.
      if (options.client.options.keyPrefix)
        throw new TypeError(
          "The ioredis client has a `keyPrefix`; pass one without it and set the backend's `keyPrefix` instead.",
        );
      this.client = options.client;
      this.owns = false;
    } else {
      const IORedis = loadIoredis();
      this.client = new IORedis(options.url ?? 'redis://127.0.0.1:6379', ioredisOptions(timeout));
      this.owns = true;
    }
    this.client.on('error', (error: Error) => (this.lastError = error));
    this.client.on('ready', () => this.emit(true));
    this.client.on('close', () => this.emit(false, this.lastError));
  }

  script(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    const name = `rxrws_${script.name}`;
    if (!this.defined.has(name)) {
      this.client.defineCommand(name, { lua: script.lua }); // the key count goes first in each call
      this.defined.add(name);
    }
    const fn = (this.client as unknown as Record<string, ScriptFn>)[name]!;
    return fn.call(this.client, keys.length, ...keys, ...args);
  }

  command(name: string, args: readonly RedisArg[]): Promise<unknown> {
    return this.client.call(name, ...args);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => void> {
    const subscriber = this.subscriberConnection();
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      try {
        await subscriber.subscribe(channel);
      } catch (error) {
        this.listeners.delete(channel);
        throw error;
      }
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(channel);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      subscriber.unsubscribe(channel).catch(() => undefined); // a lost connection forgets it anyway
    };
  }

  get isConnected(): boolean {
    return this.client.status === 'ready';
  }

  connected(timeoutMs: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        const cause = this.lastError;
        reject(
          new Error(`Redis did not answer within ${timeoutMs} ms (${cause?.message ?? 'no connection'}).`, {
            cause,
          }),
        );
      }, timeoutMs);
      const stop = this.onConnection((up) => {
        if (!up) return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }

  onConnection(listener: (up: boolean, error?: Error) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await Promise.all([
      subscriber?.quit().catch(() => subscriber.disconnect()),
      this.owns ? this.client.quit().catch(() => this.client.disconnect()) : undefined,
    ]);
  }

  private subscriberConnection(): IORedisClient {
    if (this.subscriber !== undefined) return this.subscriber;
    // A subscriber may wait for its confirmation while Redis reconnects; it carries no command of ours.
    const subscriber = this.client.duplicate({ enableOfflineQueue: true, enableAutoPipelining: false });
    subscriber.on('error', () => undefined); // the command connection reports the outage
    subscriber.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (set !== undefined) for (const listener of [...set]) listener(message);
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  private emit(up: boolean, error?: Error): void {
    if (up) this.lastError = undefined;
    for (const listener of [...this.connectionListeners]) listener(up, error);
  }
}
