import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ReliableWebSocketClient } from '../../src/node';

describe('ReliableWebSocketClient in Node (default WebSocket)', () => {
  it('does not offer permessage-deflate, even to a server that would accept it', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await once(wss, 'listening');
    const upgrade = once(wss, 'connection') as Promise<[unknown, IncomingMessage]>;
    const client = new ReliableWebSocketClient(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
      enablePersistence: false,
      connectTimeout: 200,
      maxReconnectAttempts: 0,
    });
    const connecting = client.connect().catch(() => undefined);
    try {
      const [, request] = await upgrade;
      expect(request.headers['sec-websocket-extensions']).toBeUndefined();
    } finally {
      await client.close();
      await connecting;
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
