import {
  ConnectionError,
  ConnectionState,
  MemoryStorageAdapter,
  ReliableWebSocketClient,
  type ClientEvent,
  type DeliveryResult,
  type ReliableClientOptions,
} from '../../src/node';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';

const FAST: ReliableClientOptions = {
  apiKey: API_KEY,
  enablePersistence: false,
  reconnectInterval: 20,
  heartbeatInterval: 200,
  heartbeatTimeout: 150,
  messageTimeout: 1000,
};

/** Resolves with the promise's value, or 'pending' if it has not settled after a few event-loop turns. */
async function settledOrPending<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let value: T | 'pending' = 'pending';
  void promise.then((v) => (value = v));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return value;
}

describe('ReliableWebSocketClient.close()', () => {
  let srv: TestServer;
  const clients: ReliableWebSocketClient[] = [];
  const client = (options: ReliableClientOptions = {}): ReliableWebSocketClient => {
    const c = new ReliableWebSocketClient(srv.url, { ...FAST, ...options });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    srv = await startTestServer();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await srv.close();
  });

  it('settles a send queued while disconnected with a ConnectionError and a messageFailed event (no persistence)', async () => {
    const c = client();
    const failed: ClientEvent[] = [];
    c.events$.subscribe((e) => e.type === 'messageFailed' && failed.push(e));
    const { messageId, result } = await c.send({ type: 'ECHO', payload: 1 }, { ttl: 1500 });
    await c.close();
    const settled = (await settledOrPending(result)) as DeliveryResult;
    expect(settled).toMatchObject({ acknowledged: false, messageId });
    expect(settled.error).toBeInstanceOf(ConnectionError);
    expect(settled.error?.message).toMatch(/closed.*in memory only/i);
    expect(failed).toEqual([{ type: 'messageFailed', detail: expect.objectContaining({ messageId }) }]);
    expect(c.getStats().messagesFailed).toBe(1);
  });

  it('with persistence on, settles the send and says the message stays in storage for the next client', async () => {
    const storage = new MemoryStorageAdapter();
    const c = client({ enablePersistence: true, storage, storageKey: 'close-spec' });
    const result = c.sendWithAcknowledgement({ type: 'ECHO', payload: 'kept' }, { ttl: 5000 });
    await new Promise((resolve) => setImmediate(resolve));
    await c.close();
    const settled = (await settledOrPending(result)) as DeliveryResult;
    expect(settled.acknowledged).toBe(false);
    expect(settled.error).toBeInstanceOf(ConnectionError);
    expect(settled.error?.message).toMatch(/stays stored for the next client on storageKey 'close-spec'/);

    // The next client on the same storage delivers it.
    const next = client({ enablePersistence: true, storage, storageKey: 'close-spec' });
    const acked = new Promise<void>((resolve) =>
      next.addEventListener('messageAcknowledged', () => resolve()),
    );
    await next.connect();
    await acked;
    expect(srv.order).toEqual(['kept']);
  });

  it('settles a message in flight (sent, not acked) when the client closes', async () => {
    const slow = await startTestServer({}, () => new Promise(() => undefined)); // never answers
    try {
      const c = new ReliableWebSocketClient(slow.url, FAST);
      await c.connect();
      const result = c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
      for (let i = 0; i < 50 && slow.processed.size === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(c.getStats().inFlight).toBe(1);
      await c.close();
      const settled = (await settledOrPending(result)) as DeliveryResult;
      expect(settled).toMatchObject({ acknowledged: false, attempts: 1 });
      expect(settled.error).toBeInstanceOf(ConnectionError);
    } finally {
      await slow.close();
    }
  });

  it('connect() after close() rejects with a clear error and opens no session', async () => {
    const c = client();
    await c.connect();
    await c.close();
    const sessions = srv.server.stats().connections;
    await expect(c.connect()).rejects.toThrow(
      new ConnectionError('The client is closed; create a new ReliableWebSocketClient.'),
    );
    expect(c.state).toBe(ConnectionState.DISCONNECTED);
    expect(srv.server.stats().connections).toBe(sessions);
  });

  it('send and sendWithAcknowledgement after close() reject with the same error', async () => {
    const c = client();
    await c.close();
    await expect(c.send({ type: 'ECHO' })).rejects.toThrow(/client is closed; create a new/);
    await expect(c.sendWithAcknowledgement({ type: 'ECHO' })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('a send racing close() settles or rejects with the closed error, never hangs', async () => {
    const c = client({ enablePersistence: true, storage: new MemoryStorageAdapter(), storageKey: 'race' });
    const result = c.sendWithAcknowledgement({ type: 'ECHO' });
    const closing = c.close();
    const outcome = await result.then(
      (r) => r.error?.message ?? 'acknowledged',
      (e: Error) => e.message,
    );
    await closing;
    expect(outcome).toMatch(/client is closed; create a new|Client closed before/);
  });

  it('close() twice is harmless', async () => {
    const c = client();
    await c.close();
    await expect(c.close()).resolves.toBeUndefined();
  });
});

describe('ReliableWebSocketClient.disconnect()', () => {
  it('keeps pending sends waiting: they settle at their TTL as messageExpired', async () => {
    const c = new ReliableWebSocketClient('ws://127.0.0.1:9/', FAST);
    try {
      const result = c.sendWithAcknowledgement({ type: 'ECHO' }, { ttl: 50 });
      await c.disconnect();
      const settled = await result;
      expect(settled.error?.name).toBe('MessageExpiredError');
    } finally {
      await c.close();
    }
  });
});
