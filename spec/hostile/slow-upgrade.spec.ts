import { connect, type Socket } from 'node:net';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();
const HANDSHAKE_TIMEOUT_MS = 500;
/** Node checks its HTTP timeouts on an interval (the server sets it to a fraction of the handshake deadline). */
const CLOSE_WITHIN_MS = HANDSHAKE_TIMEOUT_MS + 1000;

const sockets: Socket[] = [];
afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

/** A TCP socket that sends the start of an upgrade request and never the rest; resolves with when it closed. */
async function halfRequest(port: number): Promise<{ closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  socket.resume();
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const openedAt = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - openedAt)));
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  return { closed };
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('ReliableWebSocketServer and sockets that never finish the HTTP upgrade', () => {
  it('closes a socket that sent half an HTTP request within the handshake timeout', async () => {
    const { url } = await start({ handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const { closed } = await halfRequest(portOf(url));
    const afterMs = await withTimeout(closed, 10_000, 'the half request to be closed');
    console.log(`half an HTTP request closed after ${afterMs} ms (handshakeTimeout ${HANDSHAKE_TIMEOUT_MS})`);
    expect(afterMs).toBeLessThan(CLOSE_WITHIN_MS);
  });

  it('counts sockets before the upgrade against maxConnections, and admits again once they are gone', async () => {
    const max = 2;
    const { url } = await start({ maxConnections: max, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const port = portOf(url);
    // The cap plus the one that would be closed 4005 after its upgrade.
    const held = await Promise.all(Array.from({ length: max + 1 }, () => halfRequest(port)));
    const refused = await halfRequest(port);
    expect(await withTimeout(refused.closed, 1000, 'the socket over the cap to be closed')).toBeLessThan(500);
    await withTimeout(
      Promise.all(held.map((h) => h.closed)),
      CLOSE_WITHIN_MS + 1000,
      'the held sockets to time out',
    );
    const legit = await RawClient.connect(url, 'legit');
    legit.message('m1', 'X');
    expect((await legit.next()).type).toBe('nack'); // no handler: UNKNOWN_MESSAGE_TYPE, but served
    await legit.close();
  });
});
