import { createHash } from 'node:crypto';
import type { Command as IORedisCommand, Redis as IORedisClient, RedisOptions } from 'ioredis';
import { loadIoredis } from './load-ioredis';
import type { RedisArg, RedisPort, RedisScript } from './redis-port';

export interface IoredisPortOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * Your own ioredis client; give it `enableOfflineQueue: false` and a `commandTimeout` so outages
   * fail fast. Its ioredis `keyPrefix`, if any, is not applied (use the backend's `keyPrefix`).
   */
  client?: IORedisClient;
  /** A command not answered within this many ms rejects (a frozen Redis fails closed). @default 1000 */
  commandTimeoutMs?: number;
}

/**
 * What this port sets on the connections it opens: fail fast, reconnect forever. No auto-pipelining:
 * the port writes its commands itself, one write per tick (see `IoredisPort`).
 */
export function ioredisOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1000, commandTimeoutMs),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
    lazyConnect: false,
  };
}

type CommandClass = typeof IORedisCommand;

/**
 * The `RedisPort` on ioredis. Every command of one tick goes out in one
 * write (the socket is corked until `process.nextTick`), and each resolves on
 * its own reply. Not ioredis' auto-pipelining: it holds one pipeline in flight
 * per connection and resolves a pipeline's commands only once all replied,
 * so one turn's claims and the previous turn's outcomes could not overlap
 * (Node idled while Redis worked, and the other way round). Lua runs as
 * EVALSHA, sent as EVAL on `NOSCRIPT` (first use, Redis restarted or
 * flushed). A duplicate connection serves pub/sub.
 */
export class IoredisPort implements RedisPort {
  private readonly client: IORedisClient;
  private readonly Command: CommandClass;
  private subscriber: IORedisClient | undefined;
  private readonly owns: boolean;
  private readonly shas = new Map<RedisScript, string>();
  /**
   * Replies as strings. Not the client's own ioredis `keyPrefix`: the scripts build entry keys and
   * channels from arguments, where ioredis could not add it; the backend's `keyPrefix` names everything.
   */
  private readonly commandOptions = { replyEncoding: 'utf8' as const };
  /** The socket corked for this tick's commands, uncorked at `process.nextTick`. */
  private corked: NodeJS.WritableStream | undefined;
  private readonly listeners = new Map<string, Set<(message: string) => void>>();
  private readonly connectionListeners = new Set<(up: boolean, error?: Error) => void>();
  private lastError: Error | undefined;

  constructor(options: IoredisPortOptions = {}) {
    const timeout = options.commandTimeoutMs ?? 1000;
    const IORedis = loadIoredis();
    this.Command = IORedis.Command;
    if (options.client !== undefined) {
      this.client = options.client;
      this.owns = false;
    } else {
      this.client = new IORedis(options.url ?? 'redis://127.0.0.1:6379', ioredisOptions(timeout));
      this.owns = true;
    }
    this.client.on('error', (error: Error) => (this.lastError = error));
    this.client.on('ready', () => this.emit(true));
    this.client.on('close', () => this.emit(false, this.lastError));
  }

  script(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script.lua).digest('hex');
      this.shas.set(script, sha);
    }
    return this.send('evalsha', [sha, keys.length, keys, args]).catch((error: unknown) => {
      // NOSCRIPT: nothing ran; EVAL runs it and caches it for the next EVALSHA.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.send('eval', [script.lua, keys.length, keys, args]);
    });
  }

  command(name: string, args: readonly RedisArg[]): Promise<unknown> {
    return this.send(name, [args]);
  }

  /** Sends one command (its args flattened by ioredis), in this tick's one write. */
  private send(name: string, args: Array<RedisArg | readonly RedisArg[]>): Promise<unknown> {
    const stream = this.client.stream as NodeJS.WritableStream | undefined;
    if (this.corked === undefined && stream !== undefined && this.client.status === 'ready') {
      (stream as unknown as { cork(): void }).cork();
      this.corked = stream;
      process.nextTick(this.uncork);
    }
    const command = new this.Command(name, args as RedisArg[], this.commandOptions);
    void this.client.sendCommand(command);
    return command.promise;
  }

  private readonly uncork = (): void => {
    const stream = this.corked as unknown as { uncork(): void } | undefined;
    this.corked = undefined;
    stream?.uncork();
  };

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
