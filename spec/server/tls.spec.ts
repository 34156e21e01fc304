import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { WebSocket } from 'ws';
import { ReliableWebSocketClient } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';

const KEY = 'tls-spec-key';
let pems: { cert: string; private: string };
let https: HttpsServer;
let server: ReliableWebSocketServer;
let url: string;

beforeAll(async () => {
  // Generated per run: no key material in the repository. EC keys are quick to make.
  pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
});

beforeEach(async () => {
  https = createServer({ key: pems.private, cert: pems.cert });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  server = new ReliableWebSocketServer({ server: https, apiKeys: [KEY] });
  server.handle('X', (payload) => ({ echo: payload }));
  await server.listen();
  url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await server.close();
  await new Promise<void>((resolve) => {
    https.close(() => resolve());
    https.closeAllConnections();
  });
});

describe('ReliableWebSocketServer behind TLS (the `server` option with node:https)', () => {
  it('completes the handshake and a round trip over wss:// with the self-signed certificate as `ca`', async () => {
    const client = await RawClient.connect(url, 'c1', KEY, { ca: pems.cert });
    const socket = (
      client.ws as unknown as { _socket: { encrypted?: boolean; getProtocol(): string | null } }
    )._socket;
    expect(socket.encrypted).toBe(true);
    expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    client.message('m1', 'X', { secret: 'over TLS' });
    expect(await client.next()).toEqual({
      type: 'ack',
      id: 'm1',
      response: { echo: { secret: 'over TLS' } },
    });
    await client.close();
  });

  it("carries the library's own client over wss:// (a WebSocketCtor that trusts the certificate)", async () => {
    const ca = pems.cert;
    class TrustingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { ca });
      }
    }
    const client = new ReliableWebSocketClient(url, {
      apiKey: KEY,
      enablePersistence: false,
      WebSocketCtor: TrustingWebSocket as never,
    });
    try {
      await client.connect();
      const result = await client.sendWithAcknowledgement({ type: 'X', payload: 42 });
      expect(result).toMatchObject({ acknowledged: true, response: { echo: 42 } });
    } finally {
      await client.close();
    }
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const ws = new WebSocket(url);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(String((error as NodeJS.ErrnoException).code)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    expect(server.stats().connections).toBe(0);
  });

  it('answers a plain ws:// attempt on the TLS port with no WebSocket', async () => {
    const ws = new WebSocket(url.replace('wss://', 'ws://'));
    await new Promise<void>((resolve) => {
      ws.once('error', () => resolve());
      ws.once('open', () => resolve());
    });
    expect(ws.readyState).not.toBe(WebSocket.OPEN);
    ws.terminate();
    expect(server.stats().connections).toBe(0);
  });

  it('leaves the https server listening after close(), as with any shared server', async () => {
    await server.close();
    expect(https.listening).toBe(true);
  });
});
