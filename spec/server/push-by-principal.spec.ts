import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

/** Two accounts, one clientId: the reproduction. */
async function aliceAndBob(): Promise<{
  send: (to: { principal: string; clientId?: string } | string, payload: unknown) => boolean;
  alice: RawClient;
  bob: RawClient;
}> {
  const { server, url } = await start({
    authenticate: (apiKey) => (apiKey === 'a' ? 'alice' : apiKey === 'b' ? 'bob' : null),
  });
  const alice = await RawClient.connect(url, 'desk-1', 'a');
  const bob = await RawClient.connect(url, 'desk-1', 'b');
  return { send: (to, payload) => server.send(to, 'FILL', payload), alice, bob };
}

/** Resolves with every FILL a client got once a heartbeat round trip proves the frames before it arrived. */
async function fillsOf(client: RawClient, ts: number): Promise<unknown[]> {
  client.send({ type: 'heartbeat', ts });
  await client.next((e) => e.type === 'heartbeat_ack' && e.ts === ts);
  return client.pending.filter((e) => e.name === 'FILL').map((e) => e.payload);
}

describe('ReliableWebSocketServer.send addressed by principal', () => {
  it('two principals with one clientId: a push for alice never reaches bob', async () => {
    const { send, alice, bob } = await aliceAndBob();
    expect(send({ principal: 'alice', clientId: 'desk-1' }, { account: 'alice' })).toBe(true);
    expect(send({ principal: 'bob' }, { account: 'bob' })).toBe(true);
    expect(await fillsOf(alice, 1)).toEqual([{ account: 'alice' }]);
    expect(await fillsOf(bob, 2)).toEqual([{ account: 'bob' }]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('refuses the clientId-only form when several principals exist, and delivers nothing', async () => {
    const { send, alice, bob } = await aliceAndBob();
    expect(() => send('desk-1', { account: 'alice' })).toThrow(/principal/);
    expect(await fillsOf(alice, 1)).toEqual([]);
    expect(await fillsOf(bob, 2)).toEqual([]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('returns false for a principal without an open session, or a clientId it does not hold', async () => {
    const { send, alice, bob } = await aliceAndBob();
    expect(send({ principal: 'carol' }, 1)).toBe(false);
    expect(send({ principal: 'alice', clientId: 'desk-2' }, 1)).toBe(false);
    expect(await fillsOf(bob, 1)).toEqual([]);
    await Promise.all([alice.close(), bob.close()]);
  });

  it('keeps the clientId form on a single-principal server', async () => {
    const { server, url } = await start({ apiKeys: ['k'] });
    const client = await RawClient.connect(url, 'desk-1', 'k');
    expect(server.send('desk-1', 'FILL', 1)).toBe(true);
    expect(await fillsOf(client, 1)).toEqual([1]);
    await client.close();
  });
});
