import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { checkOptionNames } from '../protocol/option-names';
import type { DedupeStore } from './dedupe-store';
import type { InboundLog, InboundRetention } from './inbound-log';
import { checkRetention } from './memory-inbound-log';

/** What `streams(session)` is told about a session. */
export interface StreamSession {
  readonly principal: string;
  readonly clientId: string;
  readonly sessionId: string;
}
import type { ServerBackend } from './server-backend';

/**
 * Decides who a connecting client is. Return a principal (any non-empty
 * string naming the account) to accept it, `null` to refuse it. A throw or a
 * rejection is treated as a server fault: the socket is closed with 1011
 * (retryable), not 4001, so an auth back-end outage does not lock clients out.
 */
export type Authenticate = (
  apiKey: string | undefined,
  request: IncomingMessage,
) => string | null | undefined | PromiseLike<string | null | undefined>;

/** Token bucket per connection: `messagesPerSecond` refill, `burst` capacity. */
export interface RateLimitOptions {
  /** Sustained app messages (`data`/`command` envelopes) per second per connection. */
  messagesPerSecond: number;
  /** Bucket capacity: how many messages may arrive at once. @default Math.ceil(messagesPerSecond) */
  burst?: number;
}

export interface ReliableWebSocketServerOptions {
  /** Port to listen on; 0 picks a free one. Not allowed together with `server`. @default 0 */
  port?: number;
  /** Interface to bind when the server creates its own HTTP server. @default '127.0.0.1' */
  host?: string;
  /**
   * An existing HTTP(S) server to attach to (its `upgrade` event). The server
   * is not closed by `close()`; upgrades for other paths are left alone.
   * @default undefined (the server creates and owns its own HTTP server)
   */
  server?: HttpServer | HttpsServer;
  /** Only upgrades to this path are served (others: 404, or left alone on a shared `server`). @default undefined (any path) */
  path?: string;
  /** Accepted API keys, compared in constant time. Not allowed together with `authenticate`. @default undefined */
  apiKeys?: readonly string[];
  /** Custom authentication. Without it and without `apiKeys` everybody is principal `'anonymous'`. @default undefined */
  authenticate?: Authenticate;
  /** Largest inbound frame in bytes; bigger frames close the socket with 1009. @default 1048576 */
  maxPayload?: number;
  /** Most simultaneous sockets; one more is closed with 4005 right after the upgrade. @default Infinity */
  maxConnections?: number;
  /**
   * Most authenticated connections per principal (per API key). One more is
   * closed with 4005 after authentication; a reconnect that replaces a session
   * of the same (principal, clientId) is not one more. @default Infinity
   */
  maxConnectionsPerKey?: number;
  /**
   * Most bytes queued for a socket and not yet taken by the peer
   * (`ws.bufferedAmount`). A peer that stops reading is closed with 4008
   * SLOW_CONSUMER when a write takes it past this, and terminated if the close
   * does not go through within a second. @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number;
  /** Interval of WebSocket-level pings (ms); a socket silent for a whole interval is terminated. 0 disables. @default 30000 */
  heartbeatInterval?: number;
  /** How long a new socket may take to send its `connect` frame and pass authentication (ms). @default 5000 */
  handshakeTimeout?: number;
  /** How long a message id is remembered (ms); advertised to clients at handshake. @default 600000 */
  dedupeTtl?: number;
  /** Cap of remembered ids in the default `MemoryDedupeStore` (see docs/protocol.md, "Dedupe"). @default 1000000 */
  dedupeMaxEntries?: number;
  /**
   * Most message ids one principal (account) may hold in the dedupe window, so
   * one account that fills its share is refused alone (nack `DEDUPE_FULL`
   * with `retryAfter`) and the others keep the rest. Counted by the server
   * whatever the store; `Infinity` turns it off. Without `apiKeys` or
   * `authenticate` every client is one principal (`anonymous`), so the
   * default is then the whole cap.
   * @default Math.ceil(dedupeMaxEntries / 2) (500000) with `apiKeys` or `authenticate`, else `dedupeMaxEntries`
   */
  dedupeMaxEntriesPerPrincipal?: number;
  /**
   * How long a handler may run (ms). Past it the id's outcome is recorded as
   * nack `HANDLER_TIMEOUT` (remembered like any outcome: the handler is never
   * run again for that id) and every waiting resend is answered. `Infinity`
   * waits forever (a pending id then stays pending). @default 30000
   */
  handlerTimeout?: number;
  /** Where message ids and outcomes are remembered. Not allowed together with `dedupeMaxEntries`. @default new MemoryDedupeStore({ maxEntries: dedupeMaxEntries }) */
  dedupeStore?: DedupeStore;
  /**
   * Shared state for many nodes (DESIGN §7), e.g. `redisBackend({ url })` from
   * `rx-reliable-ws/redis`: dedupe store, session registry across nodes, push
   * fan-out. Not allowed together with `dedupeStore` or `dedupeMaxEntries`.
   * @default undefined (one node, in-process state)
   */
  backend?: ServerBackend;
  /** Per-connection token bucket for app messages. @default undefined (off) */
  rateLimit?: RateLimitOptions;
  /** If set, upgrades whose `Origin` header is not in the list (or missing) are refused with 403. @default undefined (any origin) */
  allowedOrigins?: readonly string[];
  /**
   * Passed to `ws`. Off because compressing secrets next to attacker-influenced
   * data leaks them through frame sizes (CRIME/BREACH), and each compressed
   * connection holds zlib contexts (tens to hundreds of KiB); see docs/security.md.
   * @default false
   */
  perMessageDeflate?: boolean;
  /**
   * The reliable streams a session receives (docs/protocol.md, section 14).
   * Return the same list for every session of a principal you want to share a
   * stream; never another principal's stream.
   * @default (session) => ['principal:' + session.principal]
   */
  streams?: (session: StreamSession) => readonly string[];
  /** Where `publish` appends. Not allowed together with `inboundRetention` (size the log itself). @default new MemoryInboundLog(inboundRetention) */
  inboundLog?: InboundLog;
  /** Retention per stream of the default in-memory log. @default { maxMessages: 10000, maxAgeMs: dedupeTtl } */
  inboundRetention?: Partial<InboundRetention>;
}

/** Options after validation, defaults filled in. */
export interface ResolvedServerOptions {
  port: number;
  host: string;
  server: HttpServer | HttpsServer | undefined;
  path: string | undefined;
  apiKeys: readonly string[] | undefined;
  authenticate: Authenticate | undefined;
  maxPayload: number;
  maxConnections: number;
  maxConnectionsPerKey: number;
  maxBufferedBytes: number;
  heartbeatInterval: number;
  handshakeTimeout: number;
  dedupeTtl: number;
  dedupeMaxEntries: number;
  dedupeMaxEntriesPerPrincipal: number;
  handlerTimeout: number;
  dedupeStore: DedupeStore | undefined;
  backend: ServerBackend | undefined;
  rateLimit: { messagesPerSecond: number; burst: number } | undefined;
  allowedOrigins: ReadonlySet<string> | undefined;
  perMessageDeflate: boolean;
  streams: (session: StreamSession) => readonly string[];
  inboundLog: InboundLog | undefined;
  inboundRetention: InboundRetention;
}

export const DEFAULT_SERVER_OPTIONS = {
  port: 0,
  host: '127.0.0.1',
  maxPayload: 1024 * 1024,
  maxConnections: Infinity,
  maxConnectionsPerKey: Infinity,
  maxBufferedBytes: 8 * 1024 * 1024,
  heartbeatInterval: 30_000,
  handshakeTimeout: 5_000,
  dedupeTtl: 600_000,
  dedupeMaxEntries: 1_000_000,
  dedupeMaxEntriesPerPrincipal: 500_000,
  handlerTimeout: 30_000,
  perMessageDeflate: false,
} as const;

/** setTimeout/setInterval cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const KNOWN_KEYS = new Set<string>([
  'port',
  'host',
  'server',
  'path',
  'apiKeys',
  'authenticate',
  'maxPayload',
  'maxConnections',
  'maxConnectionsPerKey',
  'maxBufferedBytes',
  'heartbeatInterval',
  'handshakeTimeout',
  'dedupeTtl',
  'dedupeMaxEntries',
  'dedupeMaxEntriesPerPrincipal',
  'handlerTimeout',
  'dedupeStore',
  'backend',
  'rateLimit',
  'allowedOrigins',
  'perMessageDeflate',
  'streams',
  'inboundLog',
  'inboundRetention',
]);

/** Validates every option; a bad value throws a TypeError that names it. */
export function resolveServerOptions(options: ReliableWebSocketServerOptions = {}): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('ReliableWebSocketServer options must be an object.');
  checkOptionNames('ReliableWebSocketServerOptions', options, KNOWN_KEYS);
  const o = options;
  if (o.port !== undefined && o.server !== undefined)
    throw new TypeError('Pass either `port` or `server`, not both.');
  if (o.apiKeys !== undefined && o.authenticate !== undefined) {
    throw new TypeError('Pass either `apiKeys` or `authenticate`, not both.');
  }
  if (o.dedupeStore !== undefined && o.dedupeMaxEntries !== undefined) {
    throw new TypeError(
      '`dedupeMaxEntries` sizes the default store; with a custom `dedupeStore` size the store itself.',
    );
  }
  if (o.inboundLog !== undefined && o.inboundRetention !== undefined) {
    throw new TypeError(
      '`inboundRetention` sizes the default log; with a custom `inboundLog` pass the retention to the log itself (new FileInboundLog(dir, { maxMessages, maxAgeMs })).',
    );
  }
  const dedupeTtl = integer(
    'dedupeTtl',
    o.dedupeTtl,
    DEFAULT_SERVER_OPTIONS.dedupeTtl,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const dedupeMaxEntries = integer(
    'dedupeMaxEntries',
    o.dedupeMaxEntries,
    DEFAULT_SERVER_OPTIONS.dedupeMaxEntries,
    1,
    2 ** 32,
  );
  if (o.backend !== undefined && (o.dedupeStore !== undefined || o.dedupeMaxEntries !== undefined)) {
    throw new TypeError(
      '`backend` supplies the dedupe store; pass either `backend` or `dedupeStore`/`dedupeMaxEntries`.',
    );
  }
  if (
    o.backend?.inboundLog !== undefined &&
    (o.inboundLog !== undefined || o.inboundRetention !== undefined)
  ) {
    throw new TypeError(
      '`backend` supplies the inbound log; pass either `backend` or `inboundLog`/`inboundRetention` (size the log in the backend).',
    );
  }
  return {
    port: integer('port', o.port, DEFAULT_SERVER_OPTIONS.port, 0, 65_535),
    host: nonEmptyString('host', o.host) ?? DEFAULT_SERVER_OPTIONS.host,
    server: httpServer(o.server),
    path: path(o.path),
    apiKeys: apiKeys(o.apiKeys),
    authenticate: fn('authenticate', o.authenticate) as Authenticate | undefined,
    maxPayload: integer('maxPayload', o.maxPayload, DEFAULT_SERVER_OPTIONS.maxPayload, 64, 2 ** 31 - 1),
    maxConnections: limit('maxConnections', o.maxConnections, DEFAULT_SERVER_OPTIONS.maxConnections),
    maxConnectionsPerKey: limit(
      'maxConnectionsPerKey',
      o.maxConnectionsPerKey,
      DEFAULT_SERVER_OPTIONS.maxConnectionsPerKey,
    ),
    maxBufferedBytes: limit('maxBufferedBytes', o.maxBufferedBytes, DEFAULT_SERVER_OPTIONS.maxBufferedBytes),
    heartbeatInterval: integer(
      'heartbeatInterval',
      o.heartbeatInterval,
      DEFAULT_SERVER_OPTIONS.heartbeatInterval,
      0,
      MAX_TIMER_MS,
    ),
    handshakeTimeout: integer(
      'handshakeTimeout',
      o.handshakeTimeout,
      DEFAULT_SERVER_OPTIONS.handshakeTimeout,
      1,
      MAX_TIMER_MS,
    ),
    dedupeTtl,
    dedupeMaxEntries,
    dedupeMaxEntriesPerPrincipal: limit(
      'dedupeMaxEntriesPerPrincipal',
      o.dedupeMaxEntriesPerPrincipal,
      o.apiKeys === undefined && o.authenticate === undefined
        ? dedupeMaxEntries
        : Math.ceil(dedupeMaxEntries / 2),
    ),
    handlerTimeout:
      o.handlerTimeout === Infinity
        ? Infinity
        : integer('handlerTimeout', o.handlerTimeout, DEFAULT_SERVER_OPTIONS.handlerTimeout, 1, MAX_TIMER_MS),
    dedupeStore: dedupeStore(o.dedupeStore),
    backend: backend(o.backend),
    rateLimit: rateLimit(o.rateLimit),
    allowedOrigins: allowedOrigins(o.allowedOrigins),
    perMessageDeflate: bool(
      'perMessageDeflate',
      o.perMessageDeflate,
      DEFAULT_SERVER_OPTIONS.perMessageDeflate,
    ),
    streams: (fn('streams', o.streams) as ResolvedServerOptions['streams'] | undefined) ?? principalStream,
    inboundLog: inboundLog(o.inboundLog),
    inboundRetention: inboundRetention(o.inboundRetention, dedupeTtl),
  };
}

const principalStream = (session: StreamSession): readonly string[] => ['principal:' + session.principal];

function inboundLog(value: unknown): InboundLog | undefined {
  if (value === undefined) return undefined;
  const log = value as Record<string, unknown>;
  const methods = ['append', 'read', 'position', 'watch', 'trim'];
  if (typeof log !== 'object' || log === null || !methods.every((m) => typeof log[m] === 'function')) {
    throw new TypeError('`inboundLog` must implement InboundLog (append, read, position, watch, trim).');
  }
  return value as InboundLog;
}

function inboundRetention(value: unknown, dedupeTtl: number): InboundRetention {
  if (value !== undefined && (typeof value !== 'object' || value === null))
    throw new TypeError('`inboundRetention` must be an object { maxMessages?, maxAgeMs? }.');
  const r = (value ?? {}) as Partial<InboundRetention>;
  return checkRetention({ maxMessages: r.maxMessages ?? 10_000, maxAgeMs: r.maxAgeMs ?? dedupeTtl });
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`\`${name}\` must be an integer from ${min} to ${max}, got ${describe(value)}.`);
  }
  return value;
}

/** A positive integer cap, or Infinity for none. */
function limit(name: string, value: unknown, fallback: number): number {
  return value === Infinity ? Infinity : integer(name, value, fallback, 1, Number.MAX_SAFE_INTEGER);
}

function nonEmptyString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`\`${name}\` must be a non-empty string, got ${describe(value)}.`);
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`\`${name}\` must be a boolean, got ${describe(value)}.`);
  return value;
}

function fn(name: string, value: unknown): unknown {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`\`${name}\` must be a function, got ${describe(value)}.`);
  return value;
}

function httpServer(value: unknown): HttpServer | HttpsServer | undefined {
  if (value === undefined) return undefined;
  const s = value as Partial<HttpServer>;
  if (typeof s !== 'object' || s === null || typeof s.on !== 'function' || typeof s.address !== 'function') {
    throw new TypeError('`server` must be a node:http or node:https Server.');
  }
  return value as HttpServer;
}

function path(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/'))
    throw new TypeError(`\`path\` must be a string starting with "/", got ${describe(value)}.`);
  return value;
}

function apiKeys(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((k) => typeof k === 'string' && k.length > 0)
  ) {
    throw new TypeError(
      '`apiKeys` must be a non-empty array of non-empty strings; omit it to accept everybody.',
    );
  }
  return [...value];
}

function dedupeStore(value: unknown): DedupeStore | undefined {
  if (value === undefined) return undefined;
  const s = value as Record<string, unknown>;
  const methods = ['get', 'begin', 'complete', 'evictExpired'];
  if (typeof s !== 'object' || s === null || !methods.every((m) => typeof s[m] === 'function')) {
    throw new TypeError('`dedupeStore` must implement DedupeStore (get, begin, complete, evictExpired).');
  }
  return value as DedupeStore;
}

function backend(value: unknown): ServerBackend | undefined {
  if (value === undefined) return undefined;
  const b = value as Partial<ServerBackend>;
  if (typeof b !== 'object' || b === null || typeof b.start !== 'function' || b.dedupeStore === undefined) {
    throw new TypeError(
      '`backend` must be a ServerBackend, e.g. `redisBackend({ url })` from rx-reliable-ws/redis.',
    );
  }
  dedupeStore(b.dedupeStore);
  return value as ServerBackend;
}

function rateLimit(value: unknown): ResolvedServerOptions['rateLimit'] {
  if (value === undefined) return undefined;
  const r = value as Partial<RateLimitOptions>;
  if (typeof r !== 'object' || r === null)
    throw new TypeError('`rateLimit` must be an object { messagesPerSecond, burst? }.');
  const rate = r.messagesPerSecond;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    throw new TypeError(
      `\`rateLimit.messagesPerSecond\` must be a positive finite number, got ${describe(rate)}.`,
    );
  }
  const burst = integer('rateLimit.burst', r.burst, Math.ceil(rate), 1, Number.MAX_SAFE_INTEGER);
  return { messagesPerSecond: rate, burst };
}

function allowedOrigins(value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((o) => typeof o === 'string')) {
    throw new TypeError(
      '`allowedOrigins` must be an array of origin strings such as "https://app.example.com".',
    );
  }
  return new Set(value as string[]);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  return String(value);
}
