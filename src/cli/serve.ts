import { parseArgs } from 'node:util';
import { ReliableWebSocketServer, type ServerStats } from '../server/index';
import { createTradeSignalHandler } from './trade-signal-handler';

export const SERVE_USAGE = `rx-reliable-ws serve [--port 8080] [--host 127.0.0.1] [--api-key KEY]... [--path /ws] [--stats-interval 10000]
                     [--redis redis://127.0.0.1:6379] [--key-prefix rxrws:]

Runs the reference server with a TRADE_SIGNAL handler that validates each
signal and answers { orderId, status: 'accepted' }. Repeat --api-key to
accept several keys; without one every client is accepted as 'anonymous'.
Logs one line per connection and a stats line every --stats-interval ms
(0: never). Stops cleanly on SIGINT / SIGTERM. With --redis, many nodes
share the dedupe store, sessions and pushes on that Redis (docs/scale-out.md;
needs \`npm install ioredis@^6\`).`;

export interface ServeIo {
  /** Where log lines go. @default console.log */
  log?: (line: string) => void;
  /** Stops the server when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Told the bound address once listening (useful with --port 0). */
  onListening?: (address: { host: string; port: number }) => void;
  /** Listen for SIGINT/SIGTERM. @default true */
  handleSignals?: boolean;
}

export interface ServeSummary {
  port: number;
  stats: ServerStats;
  /** Handler runs beyond the first for the same message id (0 unless dedupe failed). */
  duplicatesProcessed: number;
}

interface ServeFlags {
  port: number;
  host: string;
  apiKeys: string[];
  path: string | undefined;
  statsInterval: number;
  redis: string | undefined;
  keyPrefix: string | undefined;
}

/**
 * `rx-reliable-ws serve`: resolves once the server has stopped (after
 * SIGINT/SIGTERM or `io.signal`), with its final stats; resolves `undefined`
 * after printing the usage for `--help`. `argv` is what follows `serve`.
 */
export async function serve(argv: string[], io: ServeIo = {}): Promise<ServeSummary | undefined> {
  const log = io.log ?? ((line: string) => console.log(line));
  const flags = parseFlags(argv);
  if (flags === undefined) {
    log(SERVE_USAGE);
    return undefined;
  }
  const trades = createTradeSignalHandler();
  const backend =
    flags.redis === undefined
      ? undefined
      : (await import('../redis/index')).redisBackend({ url: flags.redis, keyPrefix: flags.keyPrefix });
  const server = new ReliableWebSocketServer({
    port: flags.port,
    host: flags.host,
    path: flags.path,
    apiKeys: flags.apiKeys.length > 0 ? flags.apiKeys : undefined,
    ...(backend !== undefined && { backend }),
  }).handle('TRADE_SIGNAL', trades.handle);
  const events = server.events$.subscribe((event) => {
    if (event.type === 'connection') {
      log(
        `connect    client=${event.clientId} principal=${event.principal} session=${event.sessionId} from=${event.remoteAddress ?? '?'}`,
      );
    } else if (event.type === 'disconnect') {
      log(
        `disconnect client=${event.clientId} principal=${event.principal} code=${event.code}${event.reason ? ` reason="${event.reason}"` : ''}`,
      );
    } else if (event.type === 'backend') {
      log(
        event.healthy
          ? `redis      up: ${flags.redis ?? ''} (${event.detail})`
          : `redis      DOWN: ${event.detail}; messages are nacked DEDUPE_UNAVAILABLE until it is back`,
      );
    } else if (event.type === 'error') {
      log(
        `error      client=${event.clientId ?? '-'} ${event.error instanceof Error ? event.error.message : String(event.error)}`,
      );
    }
  });

  const { port } = await server.listen();
  const auth =
    flags.apiKeys.length > 0
      ? `${flags.apiKeys.length} API key(s)`
      : 'no authentication (--api-key not given)';
  const shared = flags.redis === undefined ? '' : `, state on ${flags.redis}`;
  log(
    `rx-reliable-ws server listening on ws://${flags.host}:${port}${flags.path ?? ''} with ${auth}${shared}`,
  );
  io.onListening?.({ host: flags.host, port });
  const statsTimer =
    flags.statsInterval > 0
      ? setInterval(() => log(statsLine(server.stats(), trades.duplicates)), flags.statsInterval)
      : undefined;
  statsTimer?.unref();

  await stopRequested(io);
  if (statsTimer !== undefined) clearInterval(statsTimer);
  log('stopping: closing connections');
  await server.close();
  events.unsubscribe();
  const stats = server.stats();
  log(statsLine(stats, trades.duplicates));
  return { port, stats, duplicatesProcessed: trades.duplicates };
}

function statsLine(s: ServerStats, duplicatesProcessed: number): string {
  return (
    `stats      connections=${s.connections} sessions=${s.sessions} received=${s.messagesReceived} handled=${s.messagesHandled} ` +
    `duplicates=${s.duplicates} nacks=${s.nacks} protocolErrors=${s.protocolErrors} authFailures=${s.authFailures} ` +
    `rateLimited=${s.rateLimited} processedTwice=${duplicatesProcessed}`
  );
}

/** Resolves on SIGINT, SIGTERM or `io.signal`, whichever comes first; removes its listeners. */
function stopRequested(io: ServeIo): Promise<void> {
  return new Promise<void>((resolve) => {
    const signals: NodeJS.Signals[] = io.handleSignals === false ? [] : ['SIGINT', 'SIGTERM'];
    const stop = (): void => {
      for (const name of signals) process.off(name, stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    for (const name of signals) process.once(name, stop);
    if (io.signal?.aborted) return stop();
    io.signal?.addEventListener('abort', stop, { once: true });
  });
}

/** `undefined` means --help. Throws an Error saying which flag is wrong and how to use them. */
function parseFlags(argv: string[]): ServeFlags | undefined {
  const args = argv[0] === 'serve' ? argv.slice(1) : argv;
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string', multiple: true, default: [] },
        path: { type: 'string' },
        'stats-interval': { type: 'string', default: '10000' },
        redis: { type: 'string' },
        'key-prefix': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n\n${SERVE_USAGE}`, {
      cause: error,
    });
  }
  if (values['help'] === true) return undefined;
  const apiKeys = values['api-key'] as string[];
  if (apiKeys.some((key) => key.length === 0)) throw new Error('--api-key must not be empty.');
  const path = values['path'] as string | undefined;
  if (path !== undefined && !path.startsWith('/'))
    throw new Error(`--path must start with "/", got ${JSON.stringify(path)}.`);
  const host = values['host'] as string;
  if (host.length === 0) throw new Error('--host must not be empty.');
  return {
    port: integerFlag('--port', values['port'] as string, 0, 65_535),
    host,
    apiKeys,
    path,
    statsInterval: integerFlag('--stats-interval', values['stats-interval'] as string, 0, 2 ** 31 - 1),
    redis: redisFlag(values['redis'] as string | undefined),
    keyPrefix: values['key-prefix'] as string | undefined,
  };
}

function redisFlag(url: string | undefined): string | undefined {
  if (url !== undefined && !/^rediss?:\/\//.test(url))
    throw new Error(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}.`);
  return url;
}

function integerFlag(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}.`);
  }
  return value;
}
