import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpGuardConfig {
  /** The handshake deadline (ms): the HTTP request must be complete within it too. */
  handshakeTimeout: number;
  maxConnections: number;
  /** WebSocket connections open now. */
  connections(): number;
}

/**
 * Limits for the HTTP server the library creates (a shared `server` is the
 * app's to configure): the upgrade request must arrive within the handshake
 * deadline (Node's defaults hold a silent socket for 60 to 300 s), and TCP
 * sockets that have not upgraded yet count against `maxConnections`, so a
 * crowd of half-sent requests cannot hold the port. One socket above the cap
 * is let through to be closed 4005 after its upgrade, so a client learns why.
 * Returns the function that tells the guard a socket was upgraded.
 */
export function guardHttpServer(server: HttpServer, config: HttpGuardConfig): (socket: unknown) => void {
  server.headersTimeout = config.handshakeTimeout;
  server.requestTimeout = config.handshakeTimeout;
  const waiting = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (waiting.size + config.connections() > config.maxConnections) {
      socket.destroy();
      return;
    }
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
  });
  return (socket) => waiting.delete(socket as Socket);
}

/** How often Node checks `headersTimeout`/`requestTimeout` (its default, 30 s, would outlast the deadline). */
export function checkingInterval(handshakeTimeout: number): number {
  return Math.max(100, Math.min(1000, Math.floor(handshakeTimeout / 2)));
}
