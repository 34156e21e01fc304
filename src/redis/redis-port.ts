/** A Lua script run through EVALSHA (loaded once per connection, reloaded after a `SCRIPT FLUSH`). */
export interface RedisScript {
  /** Unique among the scripts of one port. */
  readonly name: string;
  /** Reads its keys from KEYS (any number: the port passes how many) and its arguments from ARGV. */
  readonly lua: string;
}

export type RedisArg = string | number;

/**
 * The few Redis operations the backend needs, so an adapter for node-redis or
 * iovalkey can replace the ioredis one. Every command of one event-loop turn
 * goes out in one pipeline; a command on a connection that is down, or one
 * not answered within the adapter's timeout, rejects at once (no offline
 * queue): the callers fail closed.
 */
export interface RedisPort {
  /** Runs `script` with `keys` and `args`. */
  script(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown>;
  /** One command, e.g. `command('PUBLISH', [channel, message])`. */
  command(name: string, args: readonly RedisArg[]): Promise<unknown>;
  /**
   * Listens on `channel` (on a separate subscriber connection, resubscribed
   * after a reconnect); resolves once Redis confirmed, with the unsubscribe.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => void>;
  /** Resolves once the connection is ready; rejects after `timeoutMs` without one. */
  connected(timeoutMs: number): Promise<void>;
  /** Whether the command connection is ready now. */
  readonly isConnected: boolean;
  /** Called with `true` when the connection is ready again, `false` (and the cause) when it is lost. */
  onConnection(listener: (up: boolean, error?: Error) => void): () => void;
  /** Closes the connections (those the port opened). */
  close(): Promise<void>;
}
