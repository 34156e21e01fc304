import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

/** Opens a socket and sends a hello with `features` (RawClient.hello sends a v1 hello). */
async function connectWith(url: string, clientId: string, features?: unknown): Promise<RawClient> {
  const client = await RawClient.open(url);
  client.send({ type: 'connect', v: 1, clientId, ...(features === undefined ? {} : { features }) });
  const welcome = await client.next((e) => e.type === 'connect' || e.type === 'nack', 'welcome');
  if (typeof welcome.sessionId !== 'string') throw new Error(`Handshake failed: ${JSON.stringify(welcome)}`);
  return client;
}

/** Sends `ids` as one batch frame and returns the ack envelopes of the frame answering them. */
async function ackFor(client: RawClient, ids: string[]): Promise<any[]> {
  const frames = client.frames.length;
  client.send(ids.map((id) => ({ type: 'data', id, name: 'T' })));
  await client.next((e) => e.type === 'ack', 'the ack');
  const frame = client.frames[frames];
  return Array.isArray(frame) ? frame : [frame];
}

describe('ReliableWebSocketServer ranged acks', () => {
  const consecutive = ['p-8', 'p-9', 'p-a', 'p-b', 'p-c'];

  it('acks runs of consecutive ids as `runs` to a client whose hello lists `ack-runs`', async () => {
    const { server, url } = await start();
    server.handle('T', () => undefined);
    const client = await connectWith(url, 'c1', ['ack-runs']);
    expect(await ackFor(client, [...consecutive, 'lone'])).toEqual([
      { type: 'ack', id: 'lone' },
      { type: 'ack', runs: [['p-', 8, 5]] },
    ]);
    await client.close();
  });

  it('sends `ids` to a v1 client, and to one that lists only features the server does not know', async () => {
    const { server, url } = await start();
    server.handle('T', () => undefined);
    for (const [clientId, features] of [
      ['v1', undefined],
      ['future', ['something-else']],
    ] as const) {
      const client = await connectWith(url, clientId, features);
      expect(await ackFor(client, consecutive)).toEqual([{ type: 'ack', ids: consecutive }]);
      await client.close();
    }
  });

  it('still answers a single id, and an ack with a response, as v1 does', async () => {
    const { server, url } = await start();
    server.handle('T', () => undefined);
    server.handle('R', () => ({ ok: 1 }));
    const client = await connectWith(url, 'c1', ['ack-runs']);
    expect(await ackFor(client, ['only-1'])).toEqual([{ type: 'ack', id: 'only-1' }]);
    client.send({ type: 'data', id: 'r-1', name: 'R' });
    expect(await client.next((e) => e.type === 'ack')).toEqual({
      type: 'ack',
      id: 'r-1',
      response: { ok: 1 },
    });
    await client.close();
  });

  it.each([
    ['a string', 'ack-runs'],
    ['an empty name', ['']],
    ['a number', [1]],
    ['more than 16 names', Array.from({ length: 17 }, (_, i) => `f${i}`)],
  ])('refuses a hello whose `features` is %s (nack, close 4000)', async (_label, features) => {
    const { url } = await start();
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'c1', features });
    const nack = await client.next((e) => e.type === 'nack');
    expect(nack.code).toBe('PROTOCOL_ERROR');
    expect((await client.closed).code).toBe(4000);
  });

  it('cuts ranged acks under the client frame limit like any other answer', async () => {
    const { server, url } = await start();
    server.handle('T', () => undefined);
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'small', maxPayload: 1024, features: ['ack-runs'] });
    await client.next((e) => e.type === 'connect');
    const ids = Array.from({ length: 300 }, (_, i) => `s-${i.toString(36)}`);
    client.send(ids.map((id) => ({ type: 'data', id, name: 'T' })));
    const acked = new Set<string>();
    while (acked.size < ids.length) {
      const ack = await client.next((e) => e.type === 'ack');
      for (const id of ack.ids ?? (ack.id ? [ack.id] : [])) acked.add(id);
      for (const [prefix, first, count] of ack.runs ?? [])
        for (let n = first; n < first + count; n++) acked.add(prefix + n.toString(36));
    }
    expect(acked).toEqual(new Set(ids));
    for (const frame of client.frames)
      expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(1024);
    await client.close();
  });
});
