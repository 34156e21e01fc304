import { createServer } from 'node:http';
import { WebSocket } from 'ws';
import { filter, firstValueFrom, toArray } from 'rxjs';
import {
  ReliableWebSocketServer,
  type ReliableWebSocketServerOptions,
  type ServerEvent,
} from '../../src/server/index';
import { RawClient, withTimeout } from '../helpers/raw-client';

const servers: ReliableWebSocketServer[] = [];
async function start(
  options: ReliableWebSocketServerOptions = {},
): Promise<{ server: ReliableWebSocketServer; url: string; port: number }> {
  const server = new ReliableWebSocketServer({ port: 0, ...options });
  servers.push(server);
  const { port } = await server.listen();
  return { server, url: `ws://127.0.0.1:${port}`, port };
}
afterEach(() => Promise.all(servers.splice(0).map((s) => s.close())));

/** Resolves with the error a fresh connection attempt fails with. */
function connectError(url: string): Promise<NodeJS.ErrnoException> {
  const ws = new WebSocket(url);
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('error', resolve);
      ws.once('open', () => reject(new Error('connected')));
    }),
    3000,
    'connection error',
  );
}

describe('ReliableWebSocketServer push', () => {
  it('send() pushes a data envelope with a server id to that client only', async () => {
    const { server, url } = await start();
    const a = await RawClient.connect(url, 'a');
    const b = await RawClient.connect(url, 'b');
    expect(server.send('a', 'PRICE', { bid: 1.1 })).toBe(true);
    expect(server.send('a', 'PRICE', { bid: 1.2 })).toBe(true);
    const first = await a.next();
    const second = await a.next();
    expect(first).toEqual({ type: 'data', id: expect.any(String), name: 'PRICE', payload: { bid: 1.1 } });
    expect(second.payload).toEqual({ bid: 1.2 });
    expect(second.id).not.toBe(first.id);
    b.send({ type: 'heartbeat', ts: 1 });
    expect(await b.next()).toEqual({ type: 'heartbeat_ack', ts: 1 }); // nothing pushed to b before it
    await Promise.all([a.close(), b.close()]);
  });

  it('send() returns false for an unknown or unauthenticated client', async () => {
    const { server, url } = await start({ apiKeys: ['k'] });
    const pending = await RawClient.open(url);
    expect(server.send('nobody', 'X', 1)).toBe(false);
    expect(server.broadcast('X', 1)).toBe(0);
    await pending.close();
  });

  it('broadcast() reaches every authenticated session and says how many', async () => {
    const { server, url } = await start();
    const clients = await Promise.all(['a', 'b', 'c'].map((id) => RawClient.connect(url, id)));
    const unauthenticated = await RawClient.open(url);
    expect(server.broadcast('NEWS', 'hello')).toBe(3);
    for (const client of clients)
      expect(await client.next()).toMatchObject({ type: 'data', name: 'NEWS', payload: 'hello' });
    unauthenticated.send({ type: 'connect', v: 1, clientId: 'late' });
    expect(await unauthenticated.next()).toMatchObject({ type: 'connect' });
    await Promise.all([...clients, unauthenticated].map((c) => c.close()));
  });

  it('refuses a payload JSON cannot carry, and a bad name', async () => {
    const { server } = await start();
    expect(() => server.broadcast('X', { n: BigInt(1) })).toThrow(TypeError);
    expect(() => server.send('a', '', 1)).not.toThrow(); // unknown client: nothing to encode
    expect(() => server.broadcast('', 1)).toThrow(TypeError);
  });
});

describe('ReliableWebSocketServer close()', () => {
  it('closes live connections with 1001, then stops listening', async () => {
    const { server, url } = await start();
    const live = await RawClient.connect(url, 'a');
    const handshaking = await RawClient.open(url);
    await server.close();
    expect((await live.closed).code).toBe(1001);
    expect((await handshaking.closed).code).toBe(1001);
    expect((await connectError(url)).code).toBe('ECONNREFUSED');
    expect(server.stats().connections).toBe(0);
  });

  it('terminates a peer that does not answer the close frame, within the grace period', async () => {
    const { server, url } = await start();
    const stubborn = await RawClient.connect(url, 'a');
    stubborn.ws.pause(); // reads nothing, so never answers the close frame
    const started = Date.now();
    await withTimeout(server.close(), 3000, 'close()');
    expect(Date.now() - started).toBeLessThan(2500);
    stubborn.ws.resume();
    await stubborn.closed;
  });

  it('completes events$ after a last disconnect, and is idempotent', async () => {
    const { server, url } = await start();
    const events = firstValueFrom(server.events$.pipe(toArray()));
    const client = await RawClient.connect(url, 'a');
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await client.closed;
    const types = (await events).map((e: ServerEvent) => e.type);
    expect(types).toEqual(['connection', 'disconnect']);
  });

  it('can close a server that never listened, and cannot listen twice', async () => {
    const idle = new ReliableWebSocketServer();
    await idle.close();
    await expect(idle.listen()).rejects.toThrow(/once/);
    const { server } = await start();
    await expect(server.listen()).rejects.toThrow(/once/);
  });

  it('rejects listen() when the port is taken', async () => {
    const { port } = await start();
    const clash = new ReliableWebSocketServer({ port });
    await expect(clash.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('attaches to an existing http server and leaves it listening on close()', async () => {
    const http = createServer((_req, res) => res.end('plain http'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const server = new ReliableWebSocketServer({ server: http, path: '/ws' });
      server.handle('X', () => 'via shared server');
      const { port } = await server.listen();
      expect(port).toBe((http.address() as { port: number }).port);
      const client = await RawClient.connect(`ws://127.0.0.1:${port}/ws`, 'c1');
      client.message('m1', 'X');
      expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: 'via shared server' });
      await server.close();
      expect((await client.closed).code).toBe(1001);
      expect(http.listening).toBe(true);
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toBe('plain http');
    } finally {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  });

  it('reports stats', async () => {
    const { server, url } = await start();
    server.handle('X', () => 1);
    const client = await RawClient.connect(url, 'a');
    client.message('m1', 'X');
    client.message('m1', 'X');
    client.message('m2', 'NOPE');
    client.send('junk');
    await client.next((e) => e.id === 'm2');
    await client.next((e) => e.type === 'nack' && e.id === undefined);
    expect(server.stats()).toEqual({
      connections: 1,
      sessions: 1,
      messagesReceived: 3,
      messagesHandled: 1,
      duplicates: 1,
      nacks: 2,
      protocolErrors: 1,
      authFailures: 0,
      rateLimited: 0,
      heartbeatTimeouts: 0,
      slowConsumers: 0,
      inFlight: 0,
      dedupeEntries: 1,
      dedupeRecordsLost: 0,
    });
    await client.close();
  });

  it('emits connection events with the remote address', async () => {
    const { server, url } = await start();
    const connection = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'connection')));
    const client = await RawClient.connect(url, 'a');
    expect(await connection).toMatchObject({
      type: 'connection',
      clientId: 'a',
      principal: 'anonymous',
      remoteAddress: '127.0.0.1',
    });
    await client.close();
  });
});
