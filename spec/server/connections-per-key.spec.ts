import { filter, firstValueFrom } from 'rxjs';
import {
  DEFAULT_SERVER_OPTIONS,
  ReliableWebSocketServer,
  type ReliableWebSocketServerOptions,
} from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';

const KEY_A = 'key-a-0123456789';
const KEY_B = 'key-b-0123456789';
let server: ReliableWebSocketServer;
let url: string;

async function start(options: ReliableWebSocketServerOptions): Promise<void> {
  server = new ReliableWebSocketServer({ port: 0, apiKeys: [KEY_A, KEY_B], ...options });
  server.handle('X', (payload) => payload);
  url = `ws://127.0.0.1:${(await server.listen()).port}`;
}
afterEach(() => server.close());

async function roundTrip(client: RawClient, id: string): Promise<void> {
  client.message(id, 'X', id);
  expect(await client.next((e) => e.id === id)).toEqual({ type: 'ack', id, response: id });
}

describe('ReliableWebSocketServer maxConnectionsPerKey', () => {
  it('is unlimited by default', async () => {
    expect(DEFAULT_SERVER_OPTIONS.maxConnectionsPerKey).toBe(Infinity);
    await start({});
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) => RawClient.connect(url, `c${i}`, KEY_A)),
    );
    expect(server.stats().sessions).toBe(20);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('closes 4005 with a clear reason the connection one over the limit for its key; other keys are not affected', async () => {
    await start({ maxConnectionsPerKey: 2 });
    const a1 = await RawClient.connect(url, 'a1', KEY_A);
    const a2 = await RawClient.connect(url, 'a2', KEY_A);
    const a3 = await RawClient.open(url);
    a3.send({ type: 'connect', v: 1, clientId: 'a3', apiKey: KEY_A });
    const closed = await a3.closed;
    expect(closed).toEqual({
      code: 4005,
      reason: 'too many connections for this API key (maxConnectionsPerKey 2)',
    });
    expect(a3.frames).toEqual([]); // no welcome, nothing else
    const b = await RawClient.connect(url, 'b1', KEY_B);
    await Promise.all([roundTrip(a1, 'm1'), roundTrip(a2, 'm2'), roundTrip(b, 'm3')]);
    expect(server.stats()).toMatchObject({ sessions: 3, connections: 3 });
    await Promise.all([a1.close(), a2.close(), b.close()]);
  });

  it('lets a reconnect of the same clientId replace its session at the limit (4003 to the old one)', async () => {
    await start({ maxConnectionsPerKey: 2 });
    const a1 = await RawClient.connect(url, 'a1', KEY_A);
    const a2 = await RawClient.connect(url, 'a2', KEY_A);
    const again = await RawClient.connect(url, 'a1', KEY_A);
    expect((await a1.closed).code).toBe(4003);
    await roundTrip(again, 'm1');
    expect(server.stats().sessions).toBe(2);
    await Promise.all([a2.close(), again.close()]);
  });

  it('admits again once a session of that key has left', async () => {
    await start({ maxConnectionsPerKey: 1 });
    const a1 = await RawClient.connect(url, 'a1', KEY_A);
    const refused = await RawClient.open(url);
    refused.send({ type: 'connect', v: 1, clientId: 'a2', apiKey: KEY_A });
    expect((await refused.closed).code).toBe(4005);
    const left = firstValueFrom(
      server.events$.pipe(filter((e) => e.type === 'disconnect' && e.clientId === 'a1')),
    );
    await a1.close();
    await left;
    const a2 = await RawClient.connect(url, 'a2', KEY_A);
    await roundTrip(a2, 'm1');
    await a2.close();
  });

  it('counts per principal from a custom authenticate, not per socket', async () => {
    await start({
      apiKeys: undefined,
      authenticate: (key) => (key === undefined ? null : `desk:${key.split('/')[0]}`),
      maxConnectionsPerKey: 2,
    });
    const x1 = await RawClient.connect(url, 'x1', 'fx/1');
    const x2 = await RawClient.connect(url, 'x2', 'fx/2');
    const y1 = await RawClient.connect(url, 'y1', 'rates/1');
    const x3 = await RawClient.open(url);
    x3.send({ type: 'connect', v: 1, clientId: 'x3', apiKey: 'fx/3' });
    expect((await x3.closed).code).toBe(4005);
    await Promise.all([x1.close(), x2.close(), y1.close()]);
  });

  it.each([0, -1, 1.5, '2'])('rejects maxConnectionsPerKey %p, naming it', (bad) => {
    expect(() => new ReliableWebSocketServer({ maxConnectionsPerKey: bad as number })).toThrow(
      '`maxConnectionsPerKey`',
    );
    server = new ReliableWebSocketServer({ maxConnectionsPerKey: Infinity });
  });
});
