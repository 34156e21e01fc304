import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray, take } from 'rxjs';
import {
  AuthenticationError,
  ConnectionState,
  FileStorageAdapter,
  MemoryStorageAdapter,
  MessageExpiredError,
  MessagePriority,
  NackError,
  AckTimeoutError,
  ReliableWebSocketClient,
  ValidationError,
  type ReliableClientOptions,
} from '../../src/node';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { until, waitFor } from '../helpers/wait';

const FAST: ReliableClientOptions = {
  apiKey: API_KEY,
  enablePersistence: false,
  reconnectInterval: 20,
  maxReconnectAttempts: 50,
  heartbeatInterval: 200,
  heartbeatTimeout: 150,
  messageTimeout: 1000,
  backoff: { maxInterval: 200 },
};

describe('ReliableWebSocketClient against the reference server', () => {
  let srv: TestServer;
  const clients: ReliableWebSocketClient[] = [];
  const dirs: string[] = [];

  const client = (url: string, options: ReliableClientOptions = {}): ReliableWebSocketClient => {
    const c = new ReliableWebSocketClient(url, { ...FAST, ...options });
    clients.push(c);
    return c;
  };
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'rxws-client-'));
    dirs.push(dir);
    return dir;
  };

  beforeEach(async () => {
    srv = await startTestServer();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await srv.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('connects, sends with acknowledgement and returns the handler result', async () => {
    const c = client(srv.url);
    await c.connect();
    expect(c.state).toBe(ConnectionState.CONNECTED);
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: { n: 1 } });
    expect(result).toMatchObject({ acknowledged: true, attempts: 1, response: { echo: { n: 1 } } });
    expect(typeof result.messageId).toBe('string');
    expect(srv.processed.get(result.messageId)).toBe(1);
  });

  it('moves through connecting -> connected -> disconnecting -> disconnected and emits the seed events', async () => {
    const c = client(srv.url);
    const states = firstValueFrom(c.state$.pipe(take(5), toArray()));
    const seen: string[] = [];
    for (const type of ['open', 'close', 'messageQueued', 'messageAcknowledged', 'stateChange'] as const) {
      c.addEventListener(type, () => seen.push(type));
    }
    await c.connect();
    await c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
    await c.disconnect();
    expect(await states).toEqual([
      ConnectionState.DISCONNECTED,
      ConnectionState.CONNECTING,
      ConnectionState.CONNECTED,
      ConnectionState.DISCONNECTING,
      ConnectionState.DISCONNECTED,
    ]);
    expect(seen).toEqual(
      expect.arrayContaining(['open', 'close', 'messageQueued', 'messageAcknowledged', 'stateChange']),
    );
  });

  it('queues while disconnected and delivers on connect, each message once', async () => {
    const c = client(srv.url);
    const results = Promise.all(
      Array.from({ length: 50 }, (_, i) => c.sendWithAcknowledgement({ type: 'ECHO', payload: i })),
    );
    await until(() => c.getStats().queueSize === 50, 2000, 'queued messages');
    expect(srv.processed.size).toBe(0);
    await c.connect();
    const settled = await results;
    expect(settled.every((r) => r.acknowledged)).toBe(true);
    expect(srv.processed.size).toBe(50);
    expect([...srv.processed.values()].every((n) => n === 1)).toBe(true);
  });

  it('delivers queued messages by priority, FIFO within a priority', async () => {
    const c = client(srv.url, { maxInFlight: 1 });
    const sends = [
      c.send({ type: 'ECHO', payload: 'low-1' }, { priority: MessagePriority.LOW }),
      c.send({ type: 'ECHO', payload: 'normal-1' }),
      c.send({ type: 'ECHO', payload: 'critical-1' }, { priority: MessagePriority.CRITICAL }),
      c.send({ type: 'ECHO', payload: 'high-1' }, { priority: MessagePriority.HIGH }),
      c.send({ type: 'ECHO', payload: 'critical-2' }, { priority: MessagePriority.CRITICAL }),
      c.send({ type: 'ECHO', payload: 'low-2' }, { priority: MessagePriority.LOW }),
    ];
    const receipts = await Promise.all(sends);
    await c.connect();
    await Promise.all(receipts.map((r) => r.result));
    expect(srv.order).toEqual(['critical-1', 'critical-2', 'high-1', 'normal-1', 'low-1', 'low-2']);
  });

  it('resends after an ack timeout with the same id; the server runs the handler once', async () => {
    await srv.close();
    let calls = 0;
    srv = await startTestServer({}, async (payload) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return payload;
    });
    const c = client(srv.url, { messageTimeout: 100, maxRetries: 5 });
    await c.connect();
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 'slow' });
    expect(result.acknowledged).toBe(true);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(calls).toBe(1);
    expect(c.getStats().messagesRetried).toBeGreaterThanOrEqual(1);
  });

  it('fails with AckTimeoutError once retries are exhausted', async () => {
    await srv.close();
    srv = await startTestServer({}, () => new Promise(() => undefined));
    const c = client(srv.url, { messageTimeout: 50, maxRetries: 2 });
    await c.connect();
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 'never' });
    expect(result.acknowledged).toBe(false);
    expect(result.error).toBeInstanceOf(AckTimeoutError);
    expect(result.attempts).toBe(3);
    expect(c.getStats().messagesFailed).toBe(1);
  });

  it('reports a handler error as a NackError without retrying', async () => {
    await srv.close();
    srv = await startTestServer({}, () => {
      throw Object.assign(new Error('insufficient margin'), { code: 'MARGIN' });
    });
    const c = client(srv.url);
    await c.connect();
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
    expect(result.acknowledged).toBe(false);
    expect(result.error).toBeInstanceOf(NackError);
    expect((result.error as NackError).reason).toBe('MARGIN');
    expect(result.attempts).toBe(1);
  });

  it('expires a queued message after its TTL and reports it', async () => {
    const c = client(srv.url);
    const expired = waitFor(c.events$, (e) => e.type === 'messageExpired', 2000, 'messageExpired');
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 }, { ttl: 50 });
    expect(result.acknowledged).toBe(false);
    expect(result.error).toBeInstanceOf(MessageExpiredError);
    await expired;
    expect(c.getStats()).toMatchObject({ queueSize: 0, messagesExpired: 1 });
  });

  it('rejects invalid input before queueing: bad type, unserialisable payload, TTL beyond the dedupe window', async () => {
    const c = client(srv.url);
    await expect(c.sendWithAcknowledgement({ type: '' })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      c.sendWithAcknowledgement({ type: 'ECHO', payload: { big: BigInt(1) } }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(c.sendWithAcknowledgement({ type: 'ECHO' }, { ttl: 700_000 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      c.sendWithAcknowledgement({ type: 'ECHO' }, { priority: 9 as MessagePriority }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(c.getStats().queueSize).toBe(0);
  });

  it('rejects a bad API key with AuthenticationError and does not reconnect', async () => {
    const c = client(srv.url, { apiKey: 'wrong-key' });
    const reconnecting: unknown[] = [];
    c.addEventListener('reconnecting', (e) => reconnecting.push(e.detail));
    await expect(c.connect()).rejects.toBeInstanceOf(AuthenticationError);
    expect(c.state).toBe(ConnectionState.ERROR);
    expect(reconnecting).toHaveLength(0);
  });

  it('connect() while reconnecting joins the running attempt: one socket, one session', async () => {
    const c = client(srv.url);
    await c.connect();
    const port = srv.port;
    const reconnecting = waitFor(c.state$, (s) => s === ConnectionState.RECONNECTING, 3000, 'reconnecting');
    await srv.close();
    await reconnecting;
    const again = c.connect();
    srv = await startTestServer({ port });
    const connections: unknown[] = [];
    srv.server.events$.subscribe((e) => {
      if (e.type === 'connection') connections.push(e);
    });
    await again;
    const result = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 'once' });
    expect(result.acknowledged).toBe(true);
    expect(c.state).toBe(ConnectionState.CONNECTED);
    expect(connections).toHaveLength(1);
    expect(srv.server.stats().connections).toBe(1);
  });

  it('reconnects after the server restarts and delivers what was sent meanwhile', async () => {
    const c = client(srv.url);
    await c.connect();
    const port = srv.port;
    const reconnecting = waitFor(c.state$, (s) => s === ConnectionState.RECONNECTING, 3000, 'reconnecting');
    await srv.close();
    await reconnecting;
    const pending = Promise.all(
      [1, 2, 3].map((i) => c.sendWithAcknowledgement({ type: 'ECHO', payload: i })),
    );
    srv = await startTestServer({ port });
    const results = await pending;
    expect(results.every((r) => r.acknowledged)).toBe(true);
    expect(srv.order).toEqual([1, 2, 3]);
    expect(c.getStats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('keeps its clientId and queue across a restart of the client (file journal)', async () => {
    const dir = tempDir();
    const down = `ws://127.0.0.1:${srv.port + 0}`;
    await srv.close();
    const firstStorage = new FileStorageAdapter(dir);
    const first = client(down, { storage: firstStorage, enablePersistence: true, maxReconnectAttempts: 0 });
    const receipts = await Promise.all([1, 2, 3].map((i) => first.send({ type: 'ECHO', payload: i })));
    expect(receipts).toHaveLength(3);
    const firstId = first.clientId;
    await first.close();
    await firstStorage.close(); // storage passed in by the caller stays the caller's to close

    srv = await startTestServer({ port: Number(new URL(down).port) });
    const second = client(srv.url, { storage: new FileStorageAdapter(dir), enablePersistence: true });
    const acked: string[] = [];
    second.addEventListener('messageAcknowledged', (e) => acked.push(e.detail.messageId));
    await second.connect();
    expect(second.clientId).toBe(firstId);
    await until(() => acked.length === 3, 3000, 'restored messages acknowledged');
    expect(acked.sort()).toEqual(receipts.map((r) => r.messageId).sort());
    expect(srv.order).toEqual([1, 2, 3]);
  });

  it('restored messages count in queueSize once connect() resolves', async () => {
    const storage = new MemoryStorageAdapter();
    const port = srv.port;
    await srv.close();
    const first = client(`ws://127.0.0.1:${port}`, { storage, enablePersistence: true });
    await first.send({ type: 'ECHO', payload: 'kept' });
    await first.close();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    srv = await startTestServer({ port }, async (payload) => {
      await gate;
      return payload;
    });
    const second = client(srv.url, { storage, enablePersistence: true });
    await second.connect();
    expect(second.getStats().queueSize).toBe(1);
    release();
    await until(() => second.getStats().messagesAcknowledged === 1, 3000, 'restored message acked');
    expect(second.getStats().queueSize).toBe(0);
    expect(srv.order).toEqual(['kept']);
  });

  it('receives server pushes on messages$ and as message events', async () => {
    const c = client(srv.url);
    await c.connect();
    const inbound = firstValueFrom(c.messages$);
    await until(
      () => srv.server.send(c.clientId!, 'ORDER_UPDATE', { orderId: 'o1' }),
      2000,
      'push delivered',
    );
    expect(await inbound).toMatchObject({ type: 'ORDER_UPDATE', payload: { orderId: 'o1' } });
  });

  it('send$ is cold: nothing is sent until subscribed', async () => {
    const c = client(srv.url);
    await c.connect();
    const result$ = c.send$({ type: 'ECHO', payload: 'cold' });
    expect(c.getStats().messagesSent).toBe(0);
    const result = await firstValueFrom(result$);
    expect(result.acknowledged).toBe(true);
    expect(srv.order).toEqual(['cold']);
  });
});
