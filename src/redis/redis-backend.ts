import { randomBytes } from 'node:crypto';
import type { Redis as IORedisClient } from 'ioredis';
import type { BackendHealth, BackendNode, BackendPush, ServerBackend, Session } from '../server/index';
import { IoredisPort } from './ioredis-port';
import type { InboundRetention } from '../server/inbound-log';
import { RedisDedupeStore } from './redis-dedupe-store';
import { RedisInboundLog } from './redis-inbound-log';
import type { RedisPort } from './redis-port';
import { RedisSessionDirectory } from './redis-session-directory';

export interface RedisBackendOptions {
  /** @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** Your own ioredis client instead of `url` (give it `enableOfflineQueue: false` and a `commandTimeout`). */
  client?: IORedisClient;
  /** Another driver behind the internal port (node-redis, iovalkey): wins over `url` and `client`. */
  port?: RedisPort;
  /** Prepended to every key and channel, so several apps can share one Redis. @default 'rxrws:' */
  keyPrefix?: string;
  /** Dedupe claim lease (ms): how long after its node died a message is answered OUTCOME_UNKNOWN. @default 5000 */
  leaseMs?: number;
  /** Longest a resend waits for another node's answer (ms). @default 30000 */
  waitMs?: number;
  /** A command not answered within this many ms fails (the node fails closed). @default 1000 */
  commandTimeoutMs?: number;
  /** Retention of each inbound stream on Redis (DESIGN §6). @default { maxMessages: 10000, maxAgeMs: 600000 } */
  inboundRetention?: Partial<InboundRetention>;
  /** How long `listen()` waits for Redis before it fails (ms). @default 10000 */
  connectTimeoutMs?: number;
  /** How often the node checks Redis answers (ms): health in `stats()` and `events$`. @default 500 */
  healthIntervalMs?: number;
}

/**
 * Puts a server's shared state on Redis (DESIGN §7): the dedupe store, the
 * inbound streams log (`publish` on any node, resume on any node), the
 * session registry across nodes and push fan-out. Pass it as
 * `new ReliableWebSocketServer({ backend: redisBackend({ url }) })`, one per server.
 *
 * ## Example
 * ```ts
 * import { ReliableWebSocketServer } from 'rx-reliable-ws/server';
 * import { redisBackend } from 'rx-reliable-ws/redis';
 *
 * const server = new ReliableWebSocketServer({ port: 8080, apiKeys, backend: redisBackend({ url: process.env.REDIS_URL }) });
 * await server.listen(); // refuses an unreachable Redis or an evicting maxmemory-policy
 * ```
 */
export function redisBackend(options: RedisBackendOptions = {}): ServerBackend & { readonly nodeId: string } {
  return new RedisBackend(options);
}

class RedisBackend implements ServerBackend {
  readonly dedupeStore: RedisDedupeStore;
  readonly inboundLog: RedisInboundLog;
  readonly nodeId = randomBytes(6).toString('base64url');
  /** The session registry across nodes and push fan-out. */
  readonly sessions: RedisSessionDirectory;
  private readonly port: RedisPort;
  private readonly prefix: string;
  private readonly healthIntervalMs: number;
  private node: BackendNode | undefined;
  private current: BackendHealth = { healthy: false, detail: 'not started', since: Date.now() };
  private timer: NodeJS.Timeout | undefined;
  private stops: Array<() => void> = [];
  /** Names this Redis dataset; a check that finds it gone means Redis lost its data (restart without AOF, flush). */
  private readonly epochKey: string;
  private epoch: string | undefined;

  constructor(options: RedisBackendOptions) {
    this.prefix = options.keyPrefix ?? 'rxrws:';
    this.port =
      options.port ??
      new IoredisPort({
        url: options.url,
        client: options.client,
        commandTimeoutMs: options.commandTimeoutMs,
      });
    this.dedupeStore = new RedisDedupeStore(this.port, {
      keyPrefix: this.prefix,
      leaseMs: options.leaseMs,
      waitMs: options.waitMs,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    this.inboundLog = new RedisInboundLog(this.port, {
      keyPrefix: this.prefix,
      retention: options.inboundRetention,
      connectTimeoutMs: options.connectTimeoutMs,
    });
    this.epochKey = `${this.prefix}epoch`;
    this.sessions = new RedisSessionDirectory(this.port, { keyPrefix: this.prefix, nodeId: this.nodeId });
    this.healthIntervalMs = options.healthIntervalMs ?? 500;
  }

  async start(node: BackendNode): Promise<void> {
    this.node = node;
    await this.dedupeStore.ready;
    this.epoch = await this.adoptEpoch();
    await this.sessions.start(node);
    this.stops.push(
      this.port.onConnection((up, error) => {
        if (!up) this.setHealth(false, `Redis connection lost${error ? `: ${error.message}` : ''}`);
        else this.check();
      }),
    );
    this.setHealth(true, 'ok');
    this.timer = setInterval(() => this.check(), this.healthIntervalMs);
    this.timer.unref();
  }

  sessionOpened(session: Session): void {
    this.sessions.sessionOpened(session);
  }

  push(push: BackendPush): void {
    this.sessions.push(push);
  }

  health(): BackendHealth {
    return this.current;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const stop of this.stops.splice(0)) stop();
    await this.sessions.close();
    this.dedupeStore.close();
    await this.inboundLog.close();
    await this.port.close();
  }

  private check(): void {
    this.port.command('GET', [this.epochKey]).then(
      (epoch) => {
        if (epoch === this.epoch) return this.setHealth(true, 'ok');
        this.setHealth(
          false,
          `Redis lost its data (dataset ${this.epoch} gone): message ids remembered before are forgotten, ` +
            'so a resend of a message handled before may run again; run Redis with AOF (docs/scale-out.md)',
        );
        this.adoptEpoch().then(
          (next) => (this.epoch = next),
          () => undefined, // the next check tries again
        );
      },
      (error: unknown) =>
        this.setHealth(false, `Redis unreachable: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** The dataset's epoch: the one already there, or ours if none is. */
  private async adoptEpoch(): Promise<string> {
    const mine = randomBytes(8).toString('base64url');
    const found = await this.port.command('SET', [this.epochKey, mine, 'NX', 'GET']);
    return typeof found === 'string' ? found : mine;
  }

  private setHealth(healthy: boolean, detail: string): void {
    if (this.current.healthy === healthy) return;
    this.current = { healthy, detail, since: Date.now() };
    this.node?.healthChanged(this.current);
  }
}
