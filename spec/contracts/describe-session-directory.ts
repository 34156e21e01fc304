import type { DataEnvelope } from '../../src/protocol';
import {
  MemoryDedupeStore,
  ReliableWebSocketServer,
  type BackendPush,
  type ServerBackend,
  type SessionDirectory,
} from '../../src/server/index';
import { sessionKey, type Session } from '../../src/server/session-registry';
import { RawClient } from '../helpers/raw-client';
import { until } from '../helpers/wait';

/** The shared state of one app's nodes, for one case (the suite closes it after each). */
export interface SessionDirectoryCluster {
  /** A new node's directory on the shared state. */
  directory(): SessionDirectory | Promise<SessionDirectory>;
  /** Makes the shared state unreachable (the backend unhealthy); resolves with the way back. */
  outage(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type MakeSessionDirectoryCluster = () => SessionDirectoryCluster | Promise<SessionDirectoryCluster>;

/** A started directory and what it was told. */
interface Node {
  directory: SessionDirectory;
  taken: Array<{ key: string; sessionId: string }>;
  delivered: BackendPush[];
}

let sessions = 0;
function session(principal: string, clientId: string): Session {
  return { principal, clientId, sessionId: `s${++sessions}`, key: sessionKey(principal, clientId) };
}

function envelope(name: string, payload?: unknown): DataEnvelope {
  return { type: 'data', id: `push-${++sessions}`, name, payload } as DataEnvelope;
}

/** Long enough for a message through the shared state to arrive (a Redis round trip is < 1 ms here). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

/**
 * The `SessionDirectory` port's contract (DESIGN §7: the session registry
 * across nodes and push fan-out), run unchanged against every
 * implementation: in process (`MemoryBackendHub`) and Redis. First on the
 * port itself, then through real servers whose backend is the directory.
 */
export function describeSessionDirectory(name: string, make: MakeSessionDirectoryCluster): void {
  describe(`SessionDirectory contract: ${name}`, () => {
    let cluster: SessionDirectoryCluster;
    const started: SessionDirectory[] = [];
    const servers: ReliableWebSocketServer[] = [];
    beforeEach(async () => {
      cluster = await make();
    });
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await Promise.all(started.splice(0).map((d) => d.close()));
      await cluster.close();
    });

    async function node(): Promise<Node> {
      const directory = await cluster.directory();
      const n: Node = { directory, taken: [], delivered: [] };
      await directory.start({
        sessionTaken: (key, sessionId) => n.taken.push({ key, sessionId }),
        deliver: (push) => n.delivered.push(push),
      });
      started.push(directory);
      return n;
    }

    /** A server on 127.0.0.1 port 0 whose sessions and pushes go through a new directory of the cluster. */
    async function server(): Promise<{ server: ReliableWebSocketServer; url: string }> {
      const directory = await cluster.directory();
      const backend: ServerBackend = {
        dedupeStore: new MemoryDedupeStore(),
        start: (n) => directory.start(n),
        sessionOpened: (s) => directory.sessionOpened(s),
        push: (p) => directory.push(p),
        health: () => ({ healthy: true, detail: 'ok', since: 0 }),
        close: () => directory.close(),
      };
      const s = new ReliableWebSocketServer({
        port: 0,
        heartbeatInterval: 0,
        backend,
        authenticate: (key) => (key === 'a' ? 'alice' : key === 'b' ? 'bob' : null),
      });
      servers.push(s);
      const { port } = await s.listen();
      return { server: s, url: `ws://127.0.0.1:${port}` };
    }

    it('tells the node holding a session that another node took it, and nobody else', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const onA = session('alice', 'desk-1');
      a.directory.sessionOpened(onA);
      a.directory.sessionOpened(session('alice', 'desk-2'));
      await settle();
      const onB = { ...session('alice', 'desk-1') };
      b.directory.sessionOpened(onB);
      await until(() => a.taken.length > 0, 5000, 'the takeover on A');
      await settle();
      expect(a.taken).toEqual([{ key: onA.key, sessionId: onA.sessionId }]);
      expect([b.taken, c.taken]).toEqual([[], []]);
    });

    it('keeps one of the sessions opened at once on several nodes: every other holder is taken', async () => {
      const nodes = [await node(), await node(), await node()];
      const opened = nodes.map((n) => {
        const s = session('alice', 'desk-1');
        n.directory.sessionOpened(s);
        return s;
      });
      await until(() => nodes.flatMap((n) => n.taken).length >= 2, 5000, 'two takeovers');
      await settle();
      const taken = nodes.flatMap((n) => n.taken.map((t) => t.sessionId));
      expect(taken).toHaveLength(2);
      expect(new Set(taken).size).toBe(2);
      expect(opened.filter((s) => !taken.includes(s.sessionId))).toHaveLength(1);
    });

    it('hands a push to every other node once, its address unchanged, not back to its own', async () => {
      const [a, b, c] = [await node(), await node(), await node()];
      const toAlice: BackendPush = { principal: 'alice', envelope: envelope('PRICE', { bid: 1 }) };
      const toDesk: BackendPush = { principal: 'bob', clientId: 'desk-1', envelope: envelope('PRICE') };
      const all: BackendPush = { envelope: envelope('HALT', { all: true }) };
      for (const push of [toAlice, toDesk, all]) a.directory.push(push);
      await until(() => b.delivered.length === 3 && c.delivered.length === 3, 5000, 'the pushes');
      await settle();
      expect(b.delivered).toEqual([toAlice, toDesk, all]);
      expect(c.delivered).toEqual([toAlice, toDesk, all]);
      expect(a.delivered).toEqual([]);
    });

    it('delivers nothing to a closed directory', async () => {
      const [a, b] = [await node(), await node()];
      await b.directory.close();
      a.directory.push({ envelope: envelope('HALT') });
      a.directory.sessionOpened(session('alice', 'desk-1'));
      await settle();
      expect([b.delivered, b.taken]).toEqual([[], []]);
    });

    it('through servers: a session taken over on another node closes with 4003 there', async () => {
      const [a, b] = [await server(), await server()];
      const old = await RawClient.connect(a.url, 'desk-1', 'a');
      const otherDesk = await RawClient.connect(a.url, 'desk-2', 'a');
      const bobsDesk = await RawClient.connect(a.url, 'desk-1', 'b'); // same clientId, another principal
      const fresh = await RawClient.connect(b.url, 'desk-1', 'a');
      expect((await old.closed).code).toBe(4003);
      await settle();
      expect(otherDesk.ws.readyState).toBe(otherDesk.ws.OPEN);
      expect(bobsDesk.ws.readyState).toBe(bobsDesk.ws.OPEN);
      await Promise.all([fresh.close(), otherDesk.close(), bobsDesk.close()]);
    });

    it('through servers: a push by principal reaches its sessions on every node and never another principal', async () => {
      const [a, b, c] = [await server(), await server(), await server()];
      const aliceOnB = await RawClient.connect(b.url, 'desk-1', 'a');
      const aliceOnC = await RawClient.connect(c.url, 'desk-2', 'a');
      const bobOnB = await RawClient.connect(b.url, 'desk-1', 'b'); // alice's clientId, bob's account
      const bobOnC = await RawClient.connect(c.url, 'desk-2', 'b');
      expect(a.server.send({ principal: 'alice' }, 'MARGIN', { call: 1 })).toBe(true);
      expect(a.server.send({ principal: 'alice', clientId: 'desk-1' }, 'MARGIN', { call: 2 })).toBe(true);
      expect(await aliceOnB.next((e) => e.type === 'data')).toMatchObject({ payload: { call: 1 } });
      expect(await aliceOnB.next((e) => e.type === 'data')).toMatchObject({ payload: { call: 2 } });
      expect(await aliceOnC.next((e) => e.type === 'data')).toMatchObject({ payload: { call: 1 } });
      expect(a.server.broadcast('HALT', { all: true })).toBe(0); // nobody on A
      for (const client of [aliceOnB, aliceOnC, bobOnB, bobOnC])
        expect(await client.next((e) => e.type === 'data')).toMatchObject({ name: 'HALT' });
      await settle();
      const data = (client: RawClient) => client.pending.filter((e) => e.type === 'data');
      expect([aliceOnB, aliceOnC, bobOnB, bobOnC].map(data)).toEqual([[], [], [], []]);
      await Promise.all([aliceOnB, aliceOnC, bobOnB, bobOnC].map((client) => client.close()));
    });

    it('with the shared state unreachable: never throws nor delivers twice, and works again once it is back', async () => {
      const [a, b] = [await node(), await node()];
      const back = await cluster.outage();
      const during = session('alice', 'desk-1');
      expect(() => {
        b.directory.sessionOpened(during);
        a.directory.push({ principal: 'alice', envelope: envelope('PRICE', { during: true }) });
      }).not.toThrow();
      await settle();
      await back();
      // What was sent while it was down arrives at most once (never, or late); what is sent after arrives.
      let attempts = 0;
      const isAfter = (p: BackendPush) => (p.envelope.payload as { after?: number }).after !== undefined;
      await until(
        () => {
          if (b.delivered.some(isAfter)) return true;
          a.directory.push({ principal: 'alice', envelope: envelope('PRICE', { after: ++attempts }) });
          return false;
        },
        10_000,
        'a push after the outage',
      );
      const onA = session('alice', 'desk-2');
      a.directory.sessionOpened(onA);
      await settle();
      b.directory.sessionOpened(session('alice', 'desk-2'));
      await until(() => a.taken.some((t) => t.sessionId === onA.sessionId), 10_000, 'a takeover after it');
      await settle();
      const ids = b.delivered.map((p) => p.envelope.id);
      expect(ids).toEqual([...new Set(ids)]);
      expect(a.delivered).toEqual([]);
    });
  });
}
