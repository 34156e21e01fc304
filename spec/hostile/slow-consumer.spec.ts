import type { Socket } from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { DEFAULT_SERVER_OPTIONS, type ServerEvent } from '../../src/server/index';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { HOSTILE_KEY, startHostileServer, stillServes, Witness, type HostileServer } from './witness';

const LIMIT = 256 * 1024;
const CHUNK = 'x'.repeat(64 * 1024);
/** 37.5 MiB: far more than loopback's kernel buffers (a few MiB each way) plus LIMIT; bounds every loop. */
const MAX_PUSHES = 600;

let host: HostileServer;
afterEach(async () => {
  await host?.server.close();
});

/** The socket under `ws`: pausing it stops reading, as a stuck or malicious peer would. */
function rawSocket(client: RawClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

function disconnectOf(clientId: string): Promise<Extract<ServerEvent, { type: 'disconnect' }>> {
  const event = firstValueFrom(
    host.server.events$.pipe(
      filter(
        (e): e is Extract<ServerEvent, { type: 'disconnect' }> =>
          e.type === 'disconnect' && e.clientId === clientId,
      ),
    ),
  );
  return withTimeout(event, 4000, `the disconnect of ${clientId}`);
}

/** Pushes 64 KiB frames to `clientId`, one per turn, until `done` or MAX_PUSHES; returns how many. */
async function pushUntil(clientId: string, done: () => boolean): Promise<number> {
  let pushes = 0;
  while (!done() && pushes < MAX_PUSHES) {
    if (!host.server.send(clientId, 'BIG', CHUNK)) break;
    pushes++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return pushes;
}

describe('ReliableWebSocketServer and a client that never reads', () => {
  it('defaults maxBufferedBytes to 8 MiB', () => {
    expect(DEFAULT_SERVER_OPTIONS.maxBufferedBytes).toBe(8 * 1024 * 1024);
  });

  it('closes 4008 SLOW_CONSUMER once pushes pile up past maxBufferedBytes; the other session is unaffected', async () => {
    host = await startHostileServer({ maxBufferedBytes: LIMIT });
    const witness = await Witness.start(host);
    const stuck = await RawClient.connect(host.url, 'stuck', HOSTILE_KEY);
    rawSocket(stuck).pause();
    const cut = disconnectOf('stuck');
    let closed = false;
    void cut.then(() => (closed = true));
    const pushes = await pushUntil('stuck', () => closed);
    const event = await cut;
    expect(event.code).toBe(4008);
    expect(pushes).toBeLessThan(MAX_PUSHES);
    expect(host.server.stats()).toMatchObject({ slowConsumers: 1, connections: 1, sessions: 1 });
    // The stuck peer, once it reads again, finds its connection gone.
    rawSocket(stuck).resume();
    expect([4008, 1006]).toContain((await stuck.closed).code);
    witness.burst(50);
    const report = await witness.stop();
    expect(report).toMatchObject({ lost: 0, wrong: 0, ranTwice: 0 });
    expect(report.acked).toBeGreaterThanOrEqual(50);
    await stillServes(host);
  });

  it('closes 4008 a client that sends requests but never reads the (large) acks', async () => {
    host = await startHostileServer({ maxBufferedBytes: LIMIT });
    host.server.handle('BIG', () => CHUNK);
    const witness = await Witness.start(host);
    const stuck = await RawClient.connect(host.url, 'stuck', HOSTILE_KEY);
    rawSocket(stuck).pause();
    const cut = disconnectOf('stuck');
    let sent = 0;
    // The disconnect event comes once the socket is gone (up to the 1 s grace); the cut itself is counted at once.
    while (host.server.stats().slowConsumers === 0 && sent < MAX_PUSHES) {
      stuck.message(`r${++sent}`, 'BIG');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await cut).code).toBe(4008);
    expect(sent).toBeLessThan(MAX_PUSHES);
    stuck.terminate();
    witness.burst(50);
    const report = await witness.stop();
    expect(report).toMatchObject({ lost: 0, wrong: 0, ranTwice: 0 });
    await stillServes(host);
  });

  it('does not cut a client that reads, given the same volume', async () => {
    host = await startHostileServer({ maxBufferedBytes: 4 * 1024 * 1024 });
    const reader = await RawClient.connect(host.url, 'reader', HOSTILE_KEY);
    let received = 0;
    reader.ws.on('message', () => received++);
    const pushes = await pushUntil('reader', () => false);
    expect(pushes).toBe(MAX_PUSHES);
    const deadline = Date.now() + 5000;
    while (received < MAX_PUSHES && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(received).toBe(MAX_PUSHES);
    expect(host.server.stats().slowConsumers).toBe(0);
    await reader.close();
  });

  it('rejects a bad maxBufferedBytes, naming it', async () => {
    const { ReliableWebSocketServer } = await import('../../src/server/index');
    for (const bad of [0, -1, 1.5, '8MiB', NaN]) {
      expect(() => new ReliableWebSocketServer({ maxBufferedBytes: bad as number })).toThrow(
        '`maxBufferedBytes`',
      );
    }
    expect(() => new ReliableWebSocketServer({ maxBufferedBytes: Infinity })).not.toThrow();
    host = await startHostileServer();
  });
});
