import { WebSocket } from 'ws';
import { CloseCode } from '../protocol';
import type { ServerConnection } from './server-connection';

/** How long a peer has to answer the 1001 close frame before it is terminated. */
export const CLOSE_GRACE_MS = 1000;

/**
 * Closes one socket for shutdown: 1001 first so a polite client learns why
 * (after the replies already queued for it), terminate if it does not answer
 * in time. Resolves once the socket is closed.
 */
export function goAway(ws: WebSocket, connection: ServerConnection | undefined): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (connection !== undefined) connection.close(CloseCode.GOING_AWAY, 'server shutting down');
    else if (ws.readyState === WebSocket.OPEN) ws.close(CloseCode.GOING_AWAY, 'server shutting down');
  });
}
