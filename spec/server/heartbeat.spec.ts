import { filter, firstValueFrom } from 'rxjs';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

/** Resolves once `client` has received `count` WebSocket-level pings. */
function pings(client: RawClient, count: number): Promise<void> {
  let seen = 0;
  return withTimeout(
    new Promise<void>((resolve) => client.ws.on('ping', () => ++seen === count && resolve())),
    3000,
    `${count} pings`,
  );
}

describe('ReliableWebSocketServer heartbeats', () => {
  it('terminates a socket that does not answer a ping (ws autoPong: false)', async () => {
    const { server, url } = await start({ heartbeatInterval: 30 });
    const gone = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'disconnect')));
    const mute = await RawClient.connect(url, 'mute', undefined, { autoPong: false });
    await pings(mute, 1);
    const closed = await withTimeout(mute.closed, 3000, 'termination');
    expect(closed.code).toBe(1006); // terminated: no close frame
    expect(await withTimeout(gone, 3000, 'disconnect event')).toMatchObject({ clientId: 'mute', code: 1006 });
    expect(server.stats()).toMatchObject({ heartbeatTimeouts: 1, sessions: 0 });
  });

  it('keeps a socket that answers pings, across many intervals', async () => {
    const { server, url } = await start({ heartbeatInterval: 20 });
    const client = await RawClient.connect(url, 'c1');
    await pings(client, 5);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(server.stats().heartbeatTimeouts).toBe(0);
    await client.close();
  });

  it('counts any inbound frame as alive, even without pongs', async () => {
    const { server, url } = await start({ heartbeatInterval: 30 });
    const client = await RawClient.connect(url, 'c1', undefined, { autoPong: false });
    // Answer every ping with an application heartbeat instead of a pong.
    let ts = 0;
    client.ws.on('ping', () => client.send({ type: 'heartbeat', ts: ++ts }));
    await pings(client, 4);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(server.stats().heartbeatTimeouts).toBe(0);
    await client.close();
  });

  it('pings nothing when heartbeatInterval is 0', async () => {
    const { url } = await start({ heartbeatInterval: 0, handshakeTimeout: 60 });
    const client = await RawClient.connect(url, 'c1');
    let pinged = false;
    client.ws.on('ping', () => (pinged = true));
    // A silent socket's handshake timeout is a later event we can wait on.
    const silent = await RawClient.open(url);
    await silent.closed;
    expect(pinged).toBe(false);
    await client.close();
  });
});
