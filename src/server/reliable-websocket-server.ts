import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Subject, type Observable } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, encodeFrame, MessageType, type DataEnvelope } from '../protocol';
import { createAuthenticator } from './authenticator';
import { goAway } from './go-away';
import { MemoryDedupeStore, type DedupeStore } from './dedupe-store';
import { MessageDispatcher, type MessageHandler } from './message-dispatcher';
import type { BackendNode, BackendPush, ServerBackend } from './server-backend';
import { ServerConnection, type ConnectionContext } from './server-connection';
import { ServerCounters, type ServerEvent, type ServerStats } from './server-events';
import {
  resolveServerOptions,
  type ReliableWebSocketServerOptions,
  type ResolvedServerOptions,
} from './server-options';
import { startServerTimers } from './server-timers';
import { SessionRegistry } from './session-registry';
import { abortUpgrade, upgradeRefusal } from './upgrade-policy';

/**
 * The reference server of the rx-reliable-ws protocol (docs/protocol.md):
 * authenticates each socket's `connect` frame, routes app messages by name to
 * handlers, answers each (principal, clientId, message id) exactly once
 * within the dedupe window, batches acks, pings, enforces limits.
 *
 * ## Example
 * ```ts
 * const server = new ReliableWebSocketServer({ port: 8080, apiKeys: [process.env.API_KEY!] })
 *   .handle('TRADE_SIGNAL', async (signal, ctx) => ({ orderId: await placeOrder(signal, ctx.clientId) }));
 * const { port } = await server.listen();
 * ```
 */
export class ReliableWebSocketServer {
  /** `connection`, `disconnect`, `message`, `duplicate`, `error` events; completes after `close()`. */
  readonly events$: Observable<ServerEvent>;
  private readonly options: ResolvedServerOptions;
  private readonly events = new Subject<ServerEvent>();
  private readonly counters = new ServerCounters();
  private readonly store: DedupeStore;
  /** Shared state of many nodes (`backend` option); undefined on one node. */
  private readonly backend: ServerBackend | undefined;
  private readonly dispatcher: MessageDispatcher;
  private readonly registry = new SessionRegistry<ServerConnection>();
  private readonly connections = new Set<ServerConnection>();
  /** Every upgraded socket, including those turned away, with its connection if it has one. */
  private readonly sockets = new Map<WebSocket, ServerConnection | undefined>();
  private readonly wss: WebSocketServer;
  private readonly context: ConnectionContext;
  private httpServer: HttpServer | HttpsServer | undefined;
  private stopTimers: () => void = () => undefined;
  private state: 'idle' | 'listening' | 'closing' | 'closed' = 'idle';
  private closing: Promise<void> | undefined;
  private readonly pushPrefix = `s-${randomUUID().slice(0, 8)}-`;
  private pushSeq = 0;

  constructor(options: ReliableWebSocketServerOptions = {}) {
    this.options = resolveServerOptions(options);
    const o = this.options;
    this.events$ = this.events.asObservable();
    this.backend = o.backend;
    this.store =
      o.backend?.dedupeStore ?? o.dedupeStore ?? new MemoryDedupeStore({ maxEntries: o.dedupeMaxEntries });
    this.dispatcher = new MessageDispatcher(this.store, o.dedupeTtl, {
      duplicate: (session, envelope, inFlight) => {
        this.counters.duplicates++;
        if (this.events.observed) {
          const { clientId, principal } = session;
          this.events.next({
            type: 'duplicate',
            clientId,
            principal,
            messageId: envelope.id,
            name: envelope.name,
            inFlight,
          });
        }
      },
      handled: () => this.counters.messagesHandled++,
      error: (error, session) => this.events.next({ type: 'error', error, clientId: session.clientId }),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: o.maxPayload,
      perMessageDeflate: o.perMessageDeflate,
    });
    this.context = {
      options: o,
      counters: this.counters,
      dispatcher: this.dispatcher,
      authenticate: createAuthenticator(o),
      events: this.events,
      admit: (principal, key) => this.admit(principal, key),
      authenticated: (connection) => {
        this.registry.register(connection);
        this.backend?.sessionOpened(connection.session!);
      },
      closed: (connection, code, reason) => this.onConnectionClosed(connection, code, reason),
    };
  }

  /** Routes messages named `name` to `handler`; one handler per name. */
  handle<P = unknown, R = unknown>(name: string, handler: MessageHandler<P, R>): this {
    this.dispatcher.register(name, handler as MessageHandler);
    return this;
  }

  /** Waits for the dedupe store to be ready, then starts listening (or attaches to `server`); resolves with the bound port. */
  async listen(): Promise<{ port: number }> {
    if (this.state !== 'idle')
      throw new Error(`listen() can be called once, on a new server (state: ${this.state}).`);
    this.state = 'listening';
    try {
      await this.backend?.start(this.backendNode());
      await this.store.ready;
    } catch (error) {
      await this.backend?.close().catch(() => undefined);
      this.state = 'closed';
      throw error;
    }
    if ((this.state as string) !== 'listening')
      throw new Error('close() was called while listen() waited for the dedupe store.');
    const own = this.options.server === undefined;
    const server =
      this.options.server ??
      createServer((_req, res) => res.writeHead(426, { Connection: 'close' }).end('Upgrade Required'));
    this.httpServer = server;
    server.on('upgrade', this.onUpgrade);
    try {
      if (own) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.options.port, this.options.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } else if (!server.listening) {
        await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      }
    } catch (error) {
      server.off('upgrade', this.onUpgrade);
      this.state = 'closed';
      throw error;
    }
    this.stopTimers = startServerTimers({
      heartbeatInterval: this.options.heartbeatInterval,
      dedupeTtl: this.options.dedupeTtl,
      heartbeat: () => this.connections.forEach((c) => c.heartbeat()),
      store: this.store,
      report: (error) => this.events.next({ type: 'error', error, clientId: undefined }),
    });
    return { port: (server.address() as AddressInfo).port };
  }

  /** Closes every socket (1001, then terminate after a grace period), stops listening; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): ServerStats {
    const c = this.counters;
    return {
      connections: this.connections.size,
      sessions: this.registry.size,
      messagesReceived: c.messagesReceived,
      messagesHandled: c.messagesHandled,
      duplicates: c.duplicates,
      nacks: c.nacks,
      protocolErrors: c.protocolErrors,
      authFailures: c.authFailures,
      rateLimited: c.rateLimited,
      heartbeatTimeouts: c.heartbeatTimeouts,
      slowConsumers: c.slowConsumers,
      inFlight: this.dispatcher.inFlight,
      dedupeEntries: this.store.size?.() ?? -1,
      ...(this.backend !== undefined && { backend: this.backend.health() }),
    };
  }

  /**
   * Pushes `{ type: 'data', id, name, payload }` to every session of `clientId` (at most once); false if none is open.
   * With a `backend` the push also goes to the other nodes, and true means it was handed to them.
   */
  send(clientId: string, name: string, payload?: unknown): boolean {
    if (this.backend !== undefined) {
      const envelope = this.pushEnvelope(name, payload);
      this.backend.push({ clientId, envelope });
      return this.sendLocal(clientId, envelope) || this.backend.health().healthy;
    }
    const holders = this.registry.withClientId(clientId);
    if (holders === undefined) return false;
    return this.sendLocal(clientId, this.pushEnvelope(name, payload));
  }

  private sendLocal(clientId: string, envelope: DataEnvelope): boolean {
    const holders = this.registry.withClientId(clientId);
    if (holders === undefined) return false;
    let sent = false;
    for (const connection of holders) {
      if (!connection.isOpen) continue;
      connection.push(envelope);
      sent = true;
    }
    return sent;
  }

  /** Pushes to every authenticated session; returns how many on this node (with a `backend`, every node gets it). */
  broadcast(name: string, payload?: unknown): number {
    const envelope = this.pushEnvelope(name, payload);
    this.backend?.push({ envelope });
    return this.broadcastLocal(envelope);
  }

  private broadcastLocal(envelope: DataEnvelope): number {
    let count = 0;
    for (const connection of this.registry.values()) {
      if (!connection.isOpen) continue;
      connection.push(envelope);
      count++;
    }
    return count;
  }

  /** How the backend acts on this node for the others. */
  private backendNode(): BackendNode {
    return {
      sessionTaken: (key, sessionId) => {
        const holder = this.registry.get(key);
        if (holder?.session?.sessionId === sessionId) holder.replaced();
      },
      deliver: (push: BackendPush) =>
        push.clientId === undefined
          ? this.broadcastLocal(push.envelope)
          : this.sendLocal(push.clientId, push.envelope),
      healthChanged: (health) => {
        if (this.state === 'closed') return;
        this.events.next({ type: 'backend', healthy: health.healthy, detail: health.detail });
      },
    };
  }

  private pushEnvelope(name: string, payload: unknown): DataEnvelope {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('`name` must be a non-empty string.');
    const envelope: DataEnvelope = {
      type: MessageType.DATA,
      id: this.pushPrefix + ++this.pushSeq,
      name,
      payload,
    };
    try {
      encodeFrame(envelope);
    } catch (cause) {
      throw new TypeError(`The payload of ${JSON.stringify(name)} cannot be encoded as JSON.`, { cause });
    }
    return envelope;
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { path, allowedOrigins, server } = this.options;
    const refusal = upgradeRefusal(request, { path, allowedOrigins, sharedServer: server !== undefined });
    if (refusal === 'ignore') return;
    if (refusal !== undefined) return abortUpgrade(socket, refusal);
    if (this.state !== 'listening') return abortUpgrade(socket, 503);
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onSocket(ws, request));
  };

  private onSocket(ws: WebSocket, request: IncomingMessage): void {
    ws.once('close', () => this.sockets.delete(ws));
    if (this.state !== 'listening' || this.connections.size >= this.options.maxConnections) {
      this.sockets.set(ws, undefined);
      ws.on('error', () => undefined);
      const shuttingDown = this.state !== 'listening';
      ws.close(
        shuttingDown ? CloseCode.GOING_AWAY : CloseCode.TOO_MANY_CONNECTIONS,
        shuttingDown ? 'server shutting down' : 'too many connections',
      );
      return;
    }
    const connection = new ServerConnection(ws, request, this.context);
    this.sockets.set(ws, connection);
    this.connections.add(connection);
  }

  /** A connection replacing a session of the same key does not add to the principal's count. */
  private admit(principal: string, key: string): string | undefined {
    const max = this.options.maxConnectionsPerKey;
    if (this.registry.has(key) || this.registry.sessionsOf(principal) < max) return undefined;
    return `too many connections for this API key (maxConnectionsPerKey ${max})`;
  }

  private onConnectionClosed(connection: ServerConnection, code: number, reason: string): void {
    this.connections.delete(connection);
    const session = connection.session;
    if (session === undefined) return;
    this.registry.remove(connection);
    const { clientId, principal, sessionId } = session;
    this.events.next({ type: 'disconnect', clientId, principal, sessionId, code, reason });
  }

  private async shutdown(): Promise<void> {
    const wasListening = this.state === 'listening';
    this.state = 'closing';
    this.stopTimers();
    await Promise.all([...this.sockets].map(([ws, connection]) => goAway(ws, connection)));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const server = this.httpServer;
    if (server !== undefined && wasListening) {
      server.off('upgrade', this.onUpgrade);
      if (this.options.server === undefined) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    }
    await this.backend
      ?.close()
      .catch((error: unknown) => this.events.next({ type: 'error', error, clientId: undefined }));
    this.state = 'closed';
    this.events.complete();
  }
}
