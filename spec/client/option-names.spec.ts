import { ReliableWebSocketClient, TradingClient } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';
import { closestName } from '../../src/protocol/option-names';

/** What a JavaScript caller can pass: no excess-property check. */
const untyped = (options: Record<string, unknown>): never => options as never;

describe('unknown option names', () => {
  it.each([
    [{ maxQueueSize: 0 }, 'maxQueueSize', 'queueSize'],
    [{ heartbeatIntreval: 1000 }, 'heartbeatIntreval', 'heartbeatInterval'],
    [{ reconect: false }, 'reconect', 'reconnect'],
    [{ apikey: 'k' }, 'apikey', 'apiKey'],
  ])(
    'ReliableWebSocketClient %j throws a TypeError naming %s and the closest known %s',
    (options, key, closest) => {
      expect(
        () =>
          new ReliableWebSocketClient('ws://127.0.0.1:9', untyped({ enablePersistence: false, ...options })),
      ).toThrow(
        new TypeError(`Unknown option \`${key}\` in ReliableClientOptions; did you mean \`${closest}\`?`),
      );
    },
  );

  it('checks backoff option names too', () => {
    expect(
      () =>
        new ReliableWebSocketClient(
          'ws://127.0.0.1:9',
          untyped({ enablePersistence: false, backoff: { maxIntervall: 10 } }),
        ),
    ).toThrow(/Unknown option `maxIntervall` in ReliableClientOptions.backoff; did you mean `maxInterval`\?/);
  });

  it('TradingClient passes its options through the same check', () => {
    expect(() => new TradingClient('ws://127.0.0.1:9', 'key', untyped({ messageTimout: 10 }))).toThrow(
      /did you mean `messageTimeout`/,
    );
  });

  it('ReliableWebSocketServer names the unknown key and the closest known one', () => {
    expect(() => new ReliableWebSocketServer(untyped({ port: 0, maxConection: 3 }))).toThrow(
      new TypeError(
        'Unknown option `maxConection` in ReliableWebSocketServerOptions; did you mean `maxConnections`?',
      ),
    );
    expect(() => new ReliableWebSocketServer(untyped({ port: 0, dedupeTTL: 1 }))).toThrow(
      /did you mean `dedupeTtl`/,
    );
  });

  it('every known option is accepted, undefined values included', () => {
    expect(
      () =>
        new ReliableWebSocketClient('ws://127.0.0.1:9', {
          enablePersistence: false,
          protocols: undefined,
          clientId: undefined,
          backoff: { jitter: 'none', random: () => 0.5 },
        }),
    ).not.toThrow();
  });

  it('closestName picks the longest shared start and end, then the closest length', () => {
    expect(closestName('queue', ['queueSize', 'quiet'])).toBe('queueSize');
    expect(closestName('hartbeat', ['heartbeatInterval', 'heartbeat'])).toBe('heartbeat');
    expect(closestName('maxConection', ['maxConnectionsPerKey', 'maxConnections'])).toBe('maxConnections');
    expect(closestName('x', [])).toBeUndefined();
  });
});
