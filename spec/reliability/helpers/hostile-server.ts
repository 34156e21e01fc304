import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';

/** The welcome a well-formed server sends; hostile tests then misbehave after it. */
export const WELCOME = {
  type: 'connect',
  v: 1,
  sessionId: 's',
  dedupeTtl: 600000,
  heartbeatInterval: 30000,
  maxPayload: 1048576,
} as const;

/** One accepted socket of a {@link HostileServer}. */
export class HostileConnection {
  /** Ids of `data`/`command` envelopes received on this socket, in order. */
  readonly received: string[] = [];
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly ws: WebSocket,
    private readonly server: HostileServer,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => this.onMessage(data.toString(), isBinary));
  }

  /** Sends text verbatim, a Buffer as a binary frame, anything else JSON-encoded. */
  send(value: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (Buffer.isBuffer(value)) this.ws.send(value, { binary: true });
    else this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  ack(id: string, response?: unknown): void {
    this.send(response === undefined ? { type: 'ack', id } : { type: 'ack', id, response });
  }

  close(code: number, reason = ''): void {
    this.ws.close(code, reason);
  }

  /** Resolves once `count` app messages have arrived on this socket. */
  async waitForData(count: number, ms = 3000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < count) {
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for ${count} messages, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.received.slice(0, count);
  }

  private onMessage(text: string, isBinary: boolean): void {
    if (isBinary) return;
    const parsed: unknown = JSON.parse(text);
    for (const envelope of (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>) {
      if (envelope['type'] === 'connect') {
        this.send(this.server.welcome);
      } else if (envelope['type'] === 'heartbeat') {
        this.send({ type: 'heartbeat_ack', ts: envelope['ts'] });
      } else if (envelope['type'] === 'data' || envelope['type'] === 'command') {
        const id = String(envelope['id']);
        this.received.push(id);
        this.server.countReceived(id);
        if (this.server.behave) this.ack(id, { handled: id });
      }
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * A fake server made with `ws` directly, for client hostile-input specs: it
 * completes the handshake, answers heartbeats, and otherwise does what the
 * spec tells it. While `behave` is true it acks every app message at once.
 */
export class HostileServer {
  readonly connections: HostileConnection[] = [];
  /** App messages received per id, over every connection. */
  readonly receivedCount = new Map<string, number>();
  /** Ack every app message as it arrives. */
  behave = false;
  /** What the handshake answers; a spec may break it. */
  welcome: unknown = WELCOME;
  private waiters: Array<(c: HostileConnection) => void> = [];

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      const connection = new HostileConnection(ws, this);
      this.connections.push(connection);
      for (const wake of this.waiters.splice(0)) wake(connection);
    });
  }

  static start(): Promise<HostileServer> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      wss.once('error', reject);
      wss.once('listening', () => resolve(new HostileServer(wss)));
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** The `n`-th connection (1-based), once it exists. */
  async connection(n: number, ms = 5000): Promise<HostileConnection> {
    const deadline = Date.now() + ms;
    while (this.connections.length < n) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for connection #${n}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(() => resolve());
        setTimeout(resolve, 50);
      });
    }
    return this.connections[n - 1]!;
  }

  countReceived(id: string): void {
    this.receivedCount.set(id, (this.receivedCount.get(id) ?? 0) + 1);
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
