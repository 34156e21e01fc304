import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReliableWebSocketClient as BaseClient } from '../../src/client/reliable-websocket-client';
import type { TabCoordination, TabMessage } from '../../src/client/tab-coordination';
import { nodePlatform } from '../../src/node-platform';
import { FileStorageAdapter, ReliableWebSocketClient, type InboundMessage } from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';
import { until } from '../helpers/wait';

const STREAM = 'principal:alice';

/**
 * Tabs in one process: one lock (granted in request order, passed on at close) and one
 * channel that structured-clones each post to every other member, a macrotask later, as
 * Web Locks and BroadcastChannel do.
 */
class Tabs {
  readonly #members = new Set<{ listeners: Array<(m: TabMessage) => void> }>();
  readonly #line: Array<{ member: object; granted: () => void }> = [];
  #holder: object | undefined;

  member(): TabCoordination {
    const self = { listeners: [] as Array<(m: TabMessage) => void> };
    this.#members.add(self);
    const grantNext = (): void => {
      if (this.#holder || this.#line.length === 0) return;
      const next = this.#line.shift()!;
      this.#holder = next.member;
      setTimeout(next.granted, 0);
    };
    return {
      requestLeadership: (onAcquired) => {
        if (this.#holder === self || this.#line.some((w) => w.member === self)) return;
        this.#line.push({ member: self, granted: onAcquired });
        grantNext();
      },
      cancelRequest: () => {
        const i = this.#line.findIndex((w) => w.member === self);
        if (i >= 0) this.#line.splice(i, 1);
      },
      post: (message) => {
        if (!this.#members.has(self)) return;
        for (const other of this.#members) {
          if (other === self) continue;
          const copy = structuredClone(message);
          setTimeout(() => other.listeners.forEach((l) => l(copy)), 0);
        }
      },
      onMessage: (listener) => void self.listeners.push(listener),
      close: () => {
        this.#members.delete(self);
        const i = this.#line.findIndex((w) => w.member === self);
        if (i >= 0) this.#line.splice(i, 1);
        if (this.#holder === self) this.#holder = undefined;
        grantNext();
      },
    };
  }
}

let server: ReliableWebSocketServer;
let url: string;
let dir: string;
const clients: BaseClient[] = [];
const storages: FileStorageAdapter[] = [];

beforeEach(async () => {
  server = new ReliableWebSocketServer({ port: 0, authenticate: (key) => (key === 'a' ? 'alice' : null) });
  const { port } = await server.listen();
  url = `ws://127.0.0.1:${port}`;
  dir = mkdtempSync(join(tmpdir(), 'rxws-follower-commit-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(storages.splice(0).map((s) => s.close()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const OPTIONS = {
  apiKey: 'a',
  enablePersistence: true,
  ackMode: 'manual' as const,
  reconnectInterval: 20,
  heartbeatInterval: 200,
  heartbeatTimeout: 150,
};

/** A "tab": a client with its own storage adapter on the shared directory, in `tabs`. */
function tab(tabs: Tabs) {
  const storage = new FileStorageAdapter(dir);
  storages.push(storage);
  const c = new BaseClient(
    url,
    { ...OPTIONS, storage },
    { ...nodePlatform, tabCoordination: () => tabs.member() },
  );
  clients.push(c);
  const messages: InboundMessage[] = [];
  c.messages$.subscribe((m) => messages.push(m));
  return { c, messages };
}

describe("commit() in a follower tab (ackMode 'manual', singleSender)", () => {
  it('is forwarded to the leader, which owns the cursor: resolves once durable, and a restart resumes after it', async () => {
    const tabs = new Tabs();
    const leader = tab(tabs);
    await leader.c.connect();
    const follower = tab(tabs);
    await follower.c.connect();
    expect([leader.c.isLeader, follower.c.isLeader]).toEqual([true, false]);
    for (let i = 1; i <= 5; i++) await server.publish(STREAM, 'FILL', i);
    await until(() => follower.messages.length === 5, 3000, 'five fills relayed to the follower');

    await follower.c.commit(follower.messages[2]!); // 1..3 processed by the app in the follower tab
    // A message that is not a reliable one is refused by the leader, as a leader's own call is.
    await expect(follower.c.commit({ type: 'X', payload: 1, id: 'x' })).rejects.toThrow(TypeError);

    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(storages.splice(0).map((s) => s.close()));
    const storage = new FileStorageAdapter(dir);
    storages.push(storage);
    const restarted = new ReliableWebSocketClient(url, { ...OPTIONS, storage });
    clients.push(restarted);
    const again: InboundMessage[] = [];
    restarted.messages$.subscribe((m) => again.push(m));
    await restarted.connect();
    await until(() => again.length === 2, 3000, 'the two uncommitted fills');
    expect(again.map((m) => [m.seq, m.redelivered])).toEqual([
      [4, true],
      [5, true],
    ]);
  });
});
