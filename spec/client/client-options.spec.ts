import { DEFAULT_CLIENT_OPTIONS, MessagePriority, ReliableWebSocketClient } from '../../src/node';

describe('ReliableWebSocketClient options', () => {
  const make = (options: object, url = 'ws://127.0.0.1:1') =>
    new ReliableWebSocketClient(url, { enablePersistence: false, ...options });

  it("defaults to the seed's ConnectionConfig values", () => {
    expect(DEFAULT_CLIENT_OPTIONS).toMatchObject({
      reconnect: true,
      reconnectInterval: 1000,
      maxReconnectAttempts: 5,
      heartbeatInterval: 5000,
      heartbeatTimeout: 3000,
      messageTimeout: 10000,
      enableQueue: true,
      queueSize: 1000,
      enablePersistence: true,
      storageKey: 'reliable_ws_client',
      maxInFlight: 1000,
      maxRetries: 3,
      defaultTTL: 300000,
      defaultPriority: MessagePriority.NORMAL,
    });
  });

  it.each([
    ['reconnectInterval', { reconnectInterval: 0 }],
    ['heartbeatInterval', { heartbeatInterval: -1 }],
    ['messageTimeout', { messageTimeout: Number.NaN }],
    ['queueSize', { queueSize: 0 }],
    ['maxRetries', { maxRetries: 1.5 }],
    ['maxReconnectAttempts', { maxReconnectAttempts: -1 }],
    ['heartbeatMaxMissed', { heartbeatMaxMissed: 0 }],
    ['backoff.jitter', { backoff: { jitter: 'sometimes' } }],
    ['clientId', { clientId: '' }],
  ])('throws a TypeError naming %s', (name, options) => {
    expect(() => make(options)).toThrow(TypeError);
    expect(() => make(options)).toThrow(name);
  });

  it('accepts maxReconnectAttempts: Infinity (never give up)', () => {
    expect(() => make({ maxReconnectAttempts: Infinity })).not.toThrow();
  });

  it('refuses a URL that is not ws:// or wss://, and an API key in the URL', () => {
    expect(() => make({}, 'http://127.0.0.1:1')).toThrow(/ws:\/\//);
    expect(() => make({}, 'ws://127.0.0.1:1/?apiKey=secret')).toThrow(/apiKey/);
    expect(() => make({}, 'wss://127.0.0.1:1/feed?token=secret')).toThrow(/URL/);
  });
});
