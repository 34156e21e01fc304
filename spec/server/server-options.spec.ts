import { createServer } from 'node:http';
import { DEFAULT_SERVER_OPTIONS, MemoryDedupeStore, ReliableWebSocketServer } from '../../src/server/index';
import { resolveServerOptions } from '../../src/server/server-options';

describe('ReliableWebSocketServer options', () => {
  it('fills in the documented defaults', () => {
    const o = resolveServerOptions({});
    expect(o).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      maxPayload: 1048576,
      maxConnections: Infinity,
      heartbeatInterval: 30000,
      handshakeTimeout: 5000,
      dedupeTtl: 600000,
      dedupeMaxEntries: 1000000,
      perMessageDeflate: false,
      rateLimit: undefined,
      allowedOrigins: undefined,
    });
    expect(DEFAULT_SERVER_OPTIONS.dedupeTtl).toBe(600000);
    expect(resolveServerOptions({ rateLimit: { messagesPerSecond: 2.5 } }).rateLimit).toEqual({
      messagesPerSecond: 2.5,
      burst: 3,
    });
  });

  it.each([
    ['port', { port: -1 }],
    ['port', { port: 70000 }],
    ['port', { port: '8080' }],
    ['host', { host: '' }],
    ['server', { server: {} }],
    ['path', { path: 'ws' }],
    ['apiKeys', { apiKeys: [] }],
    ['apiKeys', { apiKeys: ['ok', ''] }],
    ['apiKeys', { apiKeys: 'key' }],
    ['authenticate', { authenticate: 'yes' }],
    ['maxPayload', { maxPayload: 0 }],
    ['maxPayload', { maxPayload: 1.5 }],
    ['maxConnections', { maxConnections: 0 }],
    ['heartbeatInterval', { heartbeatInterval: -5 }],
    ['heartbeatInterval', { heartbeatInterval: 2 ** 31 }],
    ['handshakeTimeout', { handshakeTimeout: 0 }],
    ['dedupeTtl', { dedupeTtl: NaN }],
    ['dedupeMaxEntries', { dedupeMaxEntries: 0 }],
    ['dedupeStore', { dedupeStore: { get() {} } }],
    ['rateLimit', { rateLimit: 5 }],
    ['rateLimit.messagesPerSecond', { rateLimit: { messagesPerSecond: 0 } }],
    ['rateLimit.burst', { rateLimit: { messagesPerSecond: 1, burst: 0 } }],
    ['allowedOrigins', { allowedOrigins: 'https://a' }],
    ['perMessageDeflate', { perMessageDeflate: 'yes' }],
    ['apiKey', { apiKey: 'typo' }],
  ])('throws a TypeError naming `%s`', (name, options) => {
    expect(() => new ReliableWebSocketServer(options as never)).toThrow(TypeError);
    expect(() => new ReliableWebSocketServer(options as never)).toThrow(`\`${name}\``);
  });

  it.each([
    [{ port: 1, server: createServer() }, /`port` or `server`/],
    [{ apiKeys: ['k'], authenticate: () => 'p' }, /`apiKeys` or `authenticate`/],
    [{ dedupeStore: new MemoryDedupeStore(), dedupeMaxEntries: 5 }, /dedupeMaxEntries/],
  ])('throws a TypeError for conflicting options %#', (options, message) => {
    expect(() => new ReliableWebSocketServer(options as never)).toThrow(message);
  });

  it('accepts Infinity for maxConnections and 0 to disable heartbeats', () => {
    expect(resolveServerOptions({ maxConnections: Infinity, heartbeatInterval: 0 })).toMatchObject({
      maxConnections: Infinity,
      heartbeatInterval: 0,
    });
  });
});
