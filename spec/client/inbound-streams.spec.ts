import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileStorageAdapter,
  MemoryStorageAdapter,
  ReliableWebSocketClient,
  type ClientEvent,
  type InboundMessage,
  type ReliableClientOptions,
} from '../../src/node';
import { ReliableWebSocketServer, type ReliableWebSocketServerOptions } from '../../src/server/index';
import { until } from '../helpers/wait';

const STREAM = 'principal:alice';
const FAST: ReliableClientOptions = {
  apiKey: 'a',
  enablePersistence: false,
  reconnectInterval: 20,
  maxReconnectAttempts: 50,
  heartbeatInterval: 200,
  heartbeatTimeout: 150,
  backoff: { maxInterval: 100 },
};

const servers: ReliableWebSocketServer[] = [];
const clients: ReliableWebSocketClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

async function server(
  options: ReliableWebSocketServerOptions = {},
): Promise<{ server: ReliableWebSocketServer; url: string }> {
  const s = new ReliableWebSocketServer({
    port: 0,
    authenticate: (key) => (key === 'a' ? 'alice' : null),
    ...options,
  });
  servers.push(s);
  const { port } = await s.listen();
  return { server: s, url: `ws://127.0.0.1:${port}` };
}

/** A client recording every message and event it sees. */
function client(url: string, options: ReliableClientOptions = {}) {
  const c = new ReliableWebSocketClient(url, { ...FAST, ...options });
  clients.push(c);
  const messages: InboundMessage[] = [];
  const events: ClientEvent[] = [];
  c.messages$.subscribe((m) => messages.push(m));
  c.events$.subscribe((e) => events.push(e));
  return { c, messages, events, seqs: () => messages.map((m) => m.seq) };
}

const storageDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'rxws-inbound-'));
  dirs.push(dir);
  return dir;
};
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('ReliableWebSocketClient reliable streams', () => {
  it('emits published messages on messages$ with stream, seq, epoch and redelivered: false', async () => {
    const { server: s, url } = await server();
    const { c, messages } = client(url);
    await c.connect();
    await s.publish(STREAM, 'FILL', { qty: 1 });
    await until(() => messages.length === 1, 3000, 'the fill');
    expect(messages[0]).toEqual({
      type: 'FILL',
      payload: { qty: 1 },
      id: undefined,
      stream: STREAM,
      seq: 1,
      epoch: expect.any(String),
      redelivered: false,
    });
    expect(c.getStats()).toMatchObject({ inboundReceived: 1, inboundRedelivered: 0, inboundGaps: 0 });
  });

  it('gets what was published while it was away, once, in order, after a reconnect', async () => {
    const { server: s, url } = await server();
    const { c, seqs, events } = client(url);
    await c.connect();
    await s.publish(STREAM, 'FILL', 1);
    await until(() => seqs().length === 1, 3000, 'the first fill');
    await c.disconnect();
    for (let i = 2; i <= 20; i++) await s.publish(STREAM, 'FILL', i);
    await c.connect();
    await s.publish(STREAM, 'FILL', 21);
    await until(() => seqs().length >= 21, 3000, 'every fill');
    expect(seqs()).toEqual(range(1, 21));
    expect(events.filter((e) => e.type === 'inboundGap')).toEqual([]);
  });

  it('resumes from the file journal after a restart of the client: nothing lost, nothing twice', async () => {
    const { server: s, url } = await server();
    const dir = storageDir();
    const storage = new FileStorageAdapter(dir);
    const first = client(url, { enablePersistence: true, storage });
    await first.c.connect();
    for (let i = 1; i <= 10; i++) await s.publish(STREAM, 'FILL', i);
    await until(() => first.messages.length === 10, 3000, 'ten fills');
    await first.c.close();
    await storage.close();
    for (let i = 11; i <= 15; i++) await s.publish(STREAM, 'FILL', i);
    const second = client(url, { enablePersistence: true, storage: new FileStorageAdapter(dir) });
    await second.c.connect();
    await until(() => second.messages.length === 5, 3000, 'the five published while down');
    expect(second.seqs()).toEqual(range(11, 15));
    expect(second.messages.every((m) => m.redelivered === false)).toBe(true);
  });

  it('announces a gap (event and events$) with its reason before the next message when retention passed it', async () => {
    const { server: s, url } = await server({ inboundRetention: { maxMessages: 5 } });
    const { c, seqs, events } = client(url);
    const order: string[] = [];
    c.messages$.subscribe((m) => order.push(`m${m.seq}`));
    c.addEventListener('inboundGap', (e) => order.push(`gap:${(e as CustomEvent).detail.reason}`));
    await c.connect();
    await s.publish(STREAM, 'FILL', 1);
    await until(() => seqs().length === 1, 3000, 'the first fill');
    await c.disconnect();
    for (let i = 2; i <= 20; i++) await s.publish(STREAM, 'FILL', i);
    await c.connect();
    await s.publish(STREAM, 'LIVE', 21);
    await until(() => seqs().includes(21), 3000, 'the live message');
    expect(order).toEqual(['m1', 'gap:WINDOW_EXCEEDED', ...range(16, 21).map((n) => `m${n}`)]);
    const gap = events.find((e) => e.type === 'inboundGap');
    expect(gap?.detail).toEqual({
      stream: STREAM,
      reason: 'WINDOW_EXCEEDED',
      epoch: expect.any(String),
      seq: 15,
      previousEpoch: expect.any(String),
      previousSeq: 1,
    });
    expect(c.getStats().inboundGaps).toBe(1);
  });

  it("ackMode 'manual': uncommitted messages come again after a restart, marked redelivered; committed ones do not", async () => {
    const { server: s, url } = await server();
    const dir = storageDir();
    const options = { enablePersistence: true, ackMode: 'manual' as const };
    const storage = new FileStorageAdapter(dir);
    const first = client(url, { ...options, storage });
    await first.c.connect();
    for (let i = 1; i <= 6; i++) await s.publish(STREAM, 'FILL', i);
    await until(() => first.messages.length === 6, 3000, 'six fills');
    await first.c.commit(first.messages[3]!); // 1..4 processed by the app
    await first.c.close();
    await storage.close();
    const second = client(url, { ...options, storage: new FileStorageAdapter(dir) });
    await second.c.connect();
    await until(() => second.messages.length === 2, 3000, 'the uncommitted two');
    expect(second.messages.map((m) => [m.seq, m.redelivered])).toEqual([
      [5, true],
      [6, true],
    ]);
    await s.publish(STREAM, 'FILL', 7);
    await until(() => second.messages.length === 3, 3000, 'a new fill');
    expect(second.messages[2]).toMatchObject({ seq: 7, redelivered: false });
    await expect(second.c.commit({ type: 'X', payload: 1, id: 'x' })).rejects.toThrow(TypeError);
  });

  it('connect() resolves only once the first cursor is persisted: a subscription survives a crash right after', async () => {
    const { server: s, url } = await server();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class SlowCursorStorage extends MemoryStorageAdapter {
      override async setItem<T>(key: string, value: T): Promise<void> {
        if (key.endsWith(':inbound')) await gate;
        return super.setItem(key, value);
      }
    }
    const storage = new SlowCursorStorage();
    const { c } = client(url, { enablePersistence: true, storage });
    let connected = false;
    const connecting = c.connect().then(() => (connected = true));
    await until(() => s.stats().sessions === 1, 3000, 'the session');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connected).toBe(false);
    release();
    await connecting;
    expect(await storage.getItem('reliable_ws_client:inbound')).toEqual({
      [STREAM]: { e: expect.any(String), c: 0, h: 0 },
    });
  });

  it('refuses an unknown ackMode, naming it', () => {
    expect(() => new ReliableWebSocketClient('ws://127.0.0.1:1', { ackMode: 'later' as never })).toThrow(
      /ackMode/,
    );
  });
});
