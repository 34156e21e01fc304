import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ProtocolError, ReliableWebSocketClient, type ReliableClientOptions } from '../../src/node';
import { foldAckRuns } from '../../src/protocol/ack-runs';
import { until } from '../helpers/wait';
import { HostileServer, WELCOME, type HostileConnection } from '../reliability/helpers/hostile-server';

const OPTIONS: ReliableClientOptions = {
  enablePersistence: false,
  messageTimeout: 5000,
  connectTimeout: 1000,
};

/** Ranged acks seen from the reference client: it does not ask for them (nor take them) yet, and takes `ids` acks. */
describe('client and ranged acks', () => {
  let server: HostileServer;
  let client: ReliableWebSocketClient;
  const errors: Error[] = [];

  beforeEach(async () => {
    server = await HostileServer.start();
    client = new ReliableWebSocketClient(server.url, OPTIONS);
    errors.length = 0;
    client.addEventListener('error', (e) => errors.push(e.detail.error));
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  /** Sends `n` messages at once; resolves with the connection once the server has them all. */
  async function sendMany(n: number) {
    await client.connect();
    const results = Array.from({ length: n }, (_, i) =>
      client.sendWithAcknowledgement({ type: 'T', payload: i }),
    );
    const connection: HostileConnection = await server.connection(1);
    const ids = await connection.waitForData(n);
    return { results, connection, ids };
  }

  it('lists no features in its hello: it does not ask for ranged acks yet (see docs/protocol.md)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const hello = new Promise<Record<string, unknown>>((resolve) =>
      wss.once('connection', (ws) =>
        ws.once('message', (data) => {
          resolve(JSON.parse(data.toString()) as Record<string, unknown>);
          ws.send(JSON.stringify(WELCOME));
        }),
      ),
    );
    const probe = new ReliableWebSocketClient(
      `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      OPTIONS,
    );
    try {
      await probe.connect();
      expect((await hello)['features']).toBeUndefined();
    } finally {
      await probe.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  it('settles messages acked by a v1 server with `ids`', async () => {
    const { results, connection, ids } = await sendMany(5);
    connection.send({ type: 'ack', ids });
    for (const result of await Promise.all(results)) expect(result.acknowledged).toBe(true);
  });

  it('does not take runs it did not ask for: a protocol error, the connection stays, the next ids ack settles', async () => {
    const { results, connection, ids } = await sendMany(3);
    connection.send({ type: 'ack', runs: foldAckRuns(ids)!.runs });
    await until(() => errors.length >= 1, 3000, 'a protocol error');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(client.state).toBe('connected');
    connection.send({ type: 'ack', ids });
    for (const result of await Promise.all(results)) expect(result.acknowledged).toBe(true);
  });
});
