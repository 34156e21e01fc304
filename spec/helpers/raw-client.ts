import { WebSocket, type ClientOptions } from 'ws';

/** Rejects with a clear message when `promise` does not settle within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Closed {
  code: number;
  reason: string;
}

type Predicate = (envelope: any) => boolean;

interface Waiter {
  predicate: Predicate;
  resolve: (envelope: any) => void;
}

const DEFAULT_WAIT_MS = 3000;

/**
 * A protocol client with no logic of its own, for server specs: it sends
 * exactly what it is told and records every frame and envelope it receives.
 */
export class RawClient {
  /** Parsed frames as received (an envelope or an array of them). */
  readonly frames: unknown[] = [];
  /** Envelopes not consumed by `next()` yet. */
  private readonly unread: any[] = [];
  private readonly waiters: Waiter[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const frame: unknown = JSON.parse(data.toString());
      this.frames.push(frame);
      for (const envelope of Array.isArray(frame) ? frame : [frame]) this.deliver(envelope);
    });
  }

  /** Opens a socket (no handshake sent). */
  static open(url: string, options: ClientOptions = {}): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    const client = new RawClient(ws);
    return withTimeout(
      new Promise<RawClient>((resolve, reject) => {
        ws.once('open', () => resolve(client));
        ws.once('error', reject);
      }),
      DEFAULT_WAIT_MS,
      `open ${url}`,
    );
  }

  /** Opens a socket and completes the handshake; resolves with the client and the welcome. */
  static async connect(
    url: string,
    clientId: string,
    apiKey?: string,
    options: ClientOptions = {},
  ): Promise<RawClient> {
    const client = await RawClient.open(url, options);
    const welcome = await client.hello(clientId, apiKey);
    if (typeof welcome.sessionId !== 'string')
      throw new Error(`Handshake failed: ${JSON.stringify(welcome)}`);
    return client;
  }

  /** The HTTP status an upgrade is refused with (rejects if it is accepted). */
  static upgradeStatus(url: string, options: ClientOptions = {}): Promise<number> {
    const ws = new WebSocket(url, options);
    ws.on('error', () => undefined);
    return withTimeout(
      new Promise<number>((resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          ws.terminate();
        });
        ws.once('open', () => {
          ws.terminate();
          reject(new Error('The upgrade was accepted'));
        });
      }),
      DEFAULT_WAIT_MS,
      `upgrade response from ${url}`,
    );
  }

  /** Sends the `connect` frame and waits for the server's `connect` (welcome) or `nack`. */
  hello(clientId: string, apiKey?: string): Promise<any> {
    const hello: Record<string, unknown> = { type: 'connect', v: 1, clientId };
    if (apiKey !== undefined) hello['apiKey'] = apiKey;
    this.send(hello);
    return this.next((e) => e.type === 'connect' || e.type === 'nack', 'welcome or nack');
  }

  /** Objects are JSON-encoded; strings are sent verbatim; Buffers as binary frames. */
  send(value: unknown): void {
    if (Buffer.isBuffer(value)) this.ws.send(value, { binary: true });
    else this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** An app message envelope. */
  message(id: string, name: string, payload?: unknown): void {
    this.send({ type: 'data', id, name, payload });
  }

  /** The next unread envelope matching `predicate` (consumed). */
  next(predicate: Predicate = () => true, label = 'an envelope', ms = DEFAULT_WAIT_MS): Promise<any> {
    const index = this.unread.findIndex(predicate);
    if (index !== -1) return Promise.resolve(this.unread.splice(index, 1)[0]);
    const waiter: Waiter = { predicate, resolve: () => undefined };
    const found = new Promise<any>((resolve) => (waiter.resolve = resolve));
    this.waiters.push(waiter);
    return withTimeout(found, ms, label).catch((error: unknown) => {
      // A timed-out waiter must not swallow a later envelope.
      const at = this.waiters.indexOf(waiter);
      if (at !== -1) this.waiters.splice(at, 1);
      throw error;
    });
  }

  /** Waits until every id in `ids` is acked (by `id` or `ids`); resolves with the ack envelopes seen. */
  async acks(ids: readonly string[], ms = DEFAULT_WAIT_MS): Promise<any[]> {
    const missing = new Set(ids);
    const seen: any[] = [];
    const covers = (e: any): boolean =>
      e.type === 'ack' &&
      (missing.has(e.id) || (Array.isArray(e.ids) && e.ids.some((id: string) => missing.has(id))));
    while (missing.size > 0) {
      const ack = await this.next(
        covers,
        `acks for ${[...missing].slice(0, 3).join(', ')}${missing.size > 3 ? '…' : ''}`,
        ms,
      );
      seen.push(ack);
      if (ack.id !== undefined) missing.delete(ack.id);
      for (const id of ack.ids ?? []) missing.delete(id);
    }
    return seen;
  }

  /** Envelopes received so far and not consumed. */
  get pending(): readonly any[] {
    return this.unread;
  }

  close(code?: number): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code);
    return withTimeout(this.closed, DEFAULT_WAIT_MS, 'close');
  }

  terminate(): void {
    this.ws.terminate();
  }

  private deliver(envelope: unknown): void {
    const index = this.waiters.findIndex((w) => w.predicate(envelope));
    if (index === -1) {
      this.unread.push(envelope);
      return;
    }
    const [waiter] = this.waiters.splice(index, 1);
    waiter!.resolve(envelope);
  }
}
