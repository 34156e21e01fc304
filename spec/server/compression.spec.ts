import {
  DEFAULT_SERVER_OPTIONS,
  ReliableWebSocketServer,
  type ReliableWebSocketServerOptions,
} from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';

let server: ReliableWebSocketServer;
async function start(options: ReliableWebSocketServerOptions = {}): Promise<string> {
  server = new ReliableWebSocketServer({ port: 0, ...options });
  server.handle('X', (payload) => payload);
  return `ws://127.0.0.1:${(await server.listen()).port}`;
}
afterEach(() => server.close());

describe('ReliableWebSocketServer and permessage-deflate', () => {
  it('is off by default: a client offering it negotiates no extension', async () => {
    expect(DEFAULT_SERVER_OPTIONS.perMessageDeflate).toBe(false);
    const url = await start();
    // `ws` offers permessage-deflate unless told not to, as browsers do.
    const client = await RawClient.connect(url, 'c1', undefined, { perMessageDeflate: true });
    expect(client.ws.extensions).toBe('');
    client.message('m1', 'X', 'a'.repeat(10_000));
    expect(await client.next()).toMatchObject({ type: 'ack', id: 'm1' });
    await client.close();
  });

  it('is negotiated when turned on with `perMessageDeflate: true`', async () => {
    const url = await start({ perMessageDeflate: true });
    const client = await RawClient.connect(url, 'c1', undefined, { perMessageDeflate: true });
    expect(client.ws.extensions).toMatch(/^permessage-deflate/);
    client.message('m1', 'X', 'a'.repeat(10_000));
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: 'a'.repeat(10_000) });
    await client.close();
  });

  it('stays off for a client that does not offer it, even when turned on', async () => {
    const url = await start({ perMessageDeflate: true });
    const client = await RawClient.connect(url, 'c1', undefined, { perMessageDeflate: false });
    expect(client.ws.extensions).toBe('');
    await client.close();
  });
});
