import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface UpgradePolicy {
  path: string | undefined;
  allowedOrigins: ReadonlySet<string> | undefined;
  /** On a shared server another `upgrade` listener may own other paths. */
  sharedServer: boolean;
}

/**
 * Decides an upgrade before any WebSocket work: `undefined` to accept, an
 * HTTP status to refuse with, or `'ignore'` to leave the socket to another
 * listener of a shared server.
 */
export function upgradeRefusal(
  request: IncomingMessage,
  policy: UpgradePolicy,
): number | 'ignore' | undefined {
  if (policy.path !== undefined && pathname(request.url) !== policy.path)
    return policy.sharedServer ? 'ignore' : 404;
  // A browser always sends Origin; without one the request cannot be checked, so it is refused too.
  if (policy.allowedOrigins !== undefined && !policy.allowedOrigins.has(request.headers.origin ?? ''))
    return 403;
  return undefined;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function abortUpgrade(socket: Duplex, status: number): void {
  socket.on('error', () => undefined);
  const body = STATUS_CODES[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function pathname(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
