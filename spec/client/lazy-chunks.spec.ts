import { ReliableWebSocketClient as BaseClient } from '../../src/client/reliable-websocket-client';
import type { TabCoordination } from '../../src/client/tab-coordination';
import { nodePlatform } from '../../src/node-platform';
import {
  ConnectionError,
  MemoryStorageAdapter,
  ReliableWebSocketClient,
  type ClientEvent,
  type StorageAdapter,
} from '../../src/node';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';

// Multi-tab and reliable streams are lazy chunks (docs/browser.md, "Size"): what happens when one
// does not load (offline, a stale deployment). Under jest, import() is a require: these make it throw.
const failing = { 'single-sender': false, 'inbound-streams': false };
for (const chunk of Object.keys(failing) as Array<keyof typeof failing>) {
  const path = `../../src/client/${chunk}`;
  jest.doMock(path, () => {
    if (failing[chunk]) throw new Error(`chunk ${chunk} unreachable`);
    return jest.requireActual(path);
  });
}

/** Durable in-memory storage: tabs only share a queue that survives (`singleSender` needs durable storage). */
class DurableMemory implements StorageAdapter {
  readonly durable = true;
  readonly #memory = new MemoryStorageAdapter();
  getItem<T>(key: string): Promise<T | null> {
    return this.#memory.getItem<T>(key);
  }
  setItem<T>(key: string, value: T): Promise<void> {
    return this.#memory.setItem(key, value);
  }
  removeItem(key: string): Promise<void> {
    return this.#memory.removeItem(key);
  }
  keys(): Promise<string[]> {
    return this.#memory.keys();
  }
}

/** One tab alone: the lock is granted at once, posts go nowhere. */
const aloneTab = (): TabCoordination => ({
  requestLeadership: (onAcquired) => void setTimeout(onAcquired, 0),
  cancelRequest: () => undefined,
  post: () => undefined,
  onMessage: () => undefined,
  close: () => undefined,
});

const OPTIONS = { apiKey: API_KEY, reconnectInterval: 20, heartbeatInterval: 200, heartbeatTimeout: 150 };

describe('lazy chunks that fail to load', () => {
  let srv: TestServer;
  const clients: BaseClient[] = [];
  beforeEach(async () => {
    srv = await startTestServer();
  });
  afterEach(async () => {
    failing['single-sender'] = failing['inbound-streams'] = false;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await srv.close();
  });

  it('reliable streams: connect() rejects without connecting; the next connect() loads the chunk and connects', async () => {
    failing['inbound-streams'] = true;
    const c = new ReliableWebSocketClient(srv.url, { ...OPTIONS, enablePersistence: false });
    clients.push(c);
    const errors: string[] = [];
    c.events$.subscribe((e: ClientEvent) => e.type === 'error' && errors.push(e.detail.error.message));
    await expect(c.connect()).rejects.toThrow(/Could not load the reliable-streams code/);
    expect(c.state).toBe('disconnected');
    expect(errors).toEqual(['Could not load the reliable-streams code of rx-reliable-ws.']);
    failing['inbound-streams'] = false;
    await c.connect();
    expect(c.state).toBe('connected');
    await expect(c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 })).resolves.toMatchObject({
      acknowledged: true,
    });
  });

  it('multi-tab: connect and send reject with a ConnectionError naming the chunk, reported as an error event; close() resolves', async () => {
    failing['single-sender'] = true;
    const c = new BaseClient(
      srv.url,
      { ...OPTIONS, enablePersistence: true, storage: new DurableMemory() },
      { ...nodePlatform, tabCoordination: aloneTab },
    );
    clients.push(c);
    const errors: Error[] = [];
    c.events$.subscribe((e: ClientEvent) => e.type === 'error' && errors.push(e.detail.error));
    await expect(c.connect()).rejects.toThrow(ConnectionError);
    await expect(c.send({ type: 'ECHO', payload: 1 })).rejects.toThrow(/Could not load the multi-tab code/);
    expect(c.isLeader).toBe(false);
    expect(errors.map((e) => e.message)).toEqual(['Could not load the multi-tab code of rx-reliable-ws.']);
    expect((errors[0] as ConnectionError).cause).toEqual(new Error('chunk single-sender unreachable'));
    await c.close();
  });

  it('multi-tab: once loaded, this tab leads and connects', async () => {
    const c = new BaseClient(
      srv.url,
      { ...OPTIONS, enablePersistence: true, storage: new DurableMemory() },
      { ...nodePlatform, tabCoordination: aloneTab },
    );
    clients.push(c);
    expect(c.isLeader).toBe(false); // the chunk is still loading: this tab does not lead yet
    await c.connect();
    expect([c.isLeader, c.state]).toEqual([true, 'connected']);
    const r = await c.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
    expect(r).toMatchObject({ acknowledged: true });
  });
});
