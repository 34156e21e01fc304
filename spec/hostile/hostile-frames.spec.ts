import { MAX_CONSECUTIVE_BAD_FRAMES, ReliableWebSocketServer } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { HOSTILE_KEY, startHostileServer, stillServes, Witness, type HostileServer } from './witness';

const HANDSHAKE_TIMEOUT_MS = 300;
let host: HostileServer;
let witness: Witness;
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

beforeEach(async () => {
  host = await startHostileServer({ handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  witness = await Witness.start(host);
  witness.burst(20); // in flight while the attack starts
});
afterEach(async () => {
  await witness.stop(0);
  await host.server.close();
});

/**
 * Every spec ends here: the witness, connected the whole time, lost nothing
 * and nothing ran twice; the server still serves a newcomer; Object.prototype
 * is as it was; no hostile payload reached the handler.
 */
async function expectUnharmed(): Promise<void> {
  witness.burst(20);
  const report = await witness.stop();
  expect(report.sent).toBeGreaterThanOrEqual(40);
  expect(report).toMatchObject({ acked: report.sent, lost: 0, wrong: 0, ranTwice: 0 });
  await stillServes(host);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(host.payloads.filter((p) => JSON.stringify(p)?.includes('hostile'))).toEqual([]);
}

async function attacker(): Promise<RawClient> {
  return RawClient.connect(host.url, 'attacker', HOSTILE_KEY);
}

/** The attacker's connection still works: a valid message right after is acked. */
async function stillOpen(client: RawClient): Promise<void> {
  client.message('after', 'X', 'fine');
  expect(await client.next()).toEqual({ type: 'ack', id: 'after', response: { echo: 'fine' } });
}

const longId = 'i'.repeat(129);
const hugeId = 'h'.repeat(200_000);

describe('ReliableWebSocketServer under hostile frames', () => {
  it.each([
    ['invalid JSON', 'INVALID_JSON', '{"type":"data",', undefined],
    ['an empty frame', 'INVALID_JSON', '', undefined],
    ['a bare number', 'NOT_AN_OBJECT', '42', undefined],
    ['a bare string', 'NOT_AN_OBJECT', '"hostile"', undefined],
    ['null', 'NOT_AN_OBJECT', 'null', undefined],
    ['a numeric type', 'UNKNOWN_TYPE', '{"type":1,"payload":"hostile"}', undefined],
    ['an unknown type', 'UNKNOWN_TYPE', '{"type":"bogus","id":"u1","payload":"hostile"}', 'u1'],
    ['a numeric id', 'INVALID_FIELD', '{"type":"data","id":7,"name":"X","payload":"hostile"}', undefined],
    [
      'a huge numeric id',
      'INVALID_FIELD',
      '{"type":"data","id":1e308,"name":"X","payload":"hostile"}',
      undefined,
    ],
    ['an array id', 'INVALID_FIELD', '{"type":"data","id":["a"],"name":"X","payload":"hostile"}', undefined],
    [
      'an object id',
      'INVALID_FIELD',
      '{"type":"data","id":{"a":1},"name":"X","payload":"hostile"}',
      undefined,
    ],
    ['an empty id', 'INVALID_FIELD', '{"type":"data","id":"","name":"X","payload":"hostile"}', undefined],
    ['a missing id', 'INVALID_FIELD', '{"type":"data","name":"X","payload":"hostile"}', undefined],
    ['a missing name', 'INVALID_FIELD', '{"type":"data","id":"n1","payload":"hostile"}', 'n1'],
    ['a numeric name', 'INVALID_FIELD', '{"type":"data","id":"n2","name":42,"payload":"hostile"}', 'n2'],
    [
      'an over-long name',
      'INVALID_FIELD',
      `{"type":"data","id":"n3","name":"${'N'.repeat(129)}","payload":"hostile"}`,
      'n3',
    ],
    [
      'an id of 129 characters (not echoed)',
      'INVALID_FIELD',
      `{"type":"data","id":"${longId}","name":"X","payload":"hostile"}`,
      undefined,
    ],
    [
      'an id of 200,000 characters (not echoed)',
      'INVALID_FIELD',
      `{"type":"data","id":"${hugeId}","name":"X","payload":"hostile"}`,
      undefined,
    ],
    ['a heartbeat with a string ts', 'INVALID_FIELD', '{"type":"heartbeat","ts":"now"}', undefined],
    ['an empty batch', 'INVALID_FIELD', '[]', undefined],
    [
      'a batch over 10,000 envelopes',
      'INVALID_FIELD',
      JSON.stringify(Array.from({ length: 10_001 }, () => ({ type: 'heartbeat', ts: 1 }))),
      undefined,
    ],
    [
      '100,000 nested arrays as the frame',
      'NOT_AN_OBJECT',
      '['.repeat(100_000) + ']'.repeat(100_000),
      undefined,
    ],
    [
      '100,000 nested arrays as a payload',
      'TOO_DEEP',
      `{"type":"data","id":"d1","name":"X","payload":${'['.repeat(100_000)}"hostile"${']'.repeat(100_000)}}`,
      'd1',
    ],
    [
      '100,000 nested objects as a payload',
      'TOO_DEEP',
      `{"type":"data","id":"d2","name":"X","payload":${'{"a":'.repeat(100_000)}"hostile"${'}'.repeat(100_000)}}`,
      'd2',
    ],
  ])('nacks %s with PROTOCOL_ERROR (%s) and keeps the connection', async (_label, reason, frame, id) => {
    const client = await attacker();
    client.send(frame);
    const nack = await client.next();
    expect(nack).toMatchObject({
      type: 'nack',
      code: 'PROTOCOL_ERROR',
      message: expect.stringMatching(new RegExp(`^${reason}`)),
    });
    expect(nack.id).toBe(id);
    await stillOpen(client);
    await client.close();
    await expectUnharmed();
  });

  it.each([
    [
      '__proto__ in the payload',
      '{"type":"data","id":"p1","name":"X","payload":{"__proto__":{"polluted":"hostile"}}}',
    ],
    [
      '__proto__ deep in arrays',
      '{"type":"data","id":"p1","name":"X","payload":[[{"a":[{"__proto__":{"polluted":"hostile"}}]}]]}',
    ],
    ['__proto__ on the envelope', '{"type":"data","id":"p1","name":"X","__proto__":{"polluted":"hostile"}}'],
    [
      'constructor.prototype in the payload',
      '{"type":"data","id":"p1","name":"X","payload":{"constructor":{"prototype":{"polluted":"hostile"}}}}',
    ],
    ['a prototype key alone', '{"type":"data","id":"p1","name":"X","payload":{"x":{"prototype":"hostile"}}}'],
    [
      '__proto__ spelled with \\u escapes',
      '{"type":"data","id":"p1","name":"X","payload":{"\\u005f\\u005fproto__":{"polluted":"hostile"}}}',
    ],
    [
      'constructor spelled with \\u escapes',
      '{"type":"data","id":"p1","name":"X","payload":{"constr\\u0075ctor":{"polluted":"hostile"}}}',
    ],
  ])(
    'refuses %s (FORBIDDEN_KEY): Object.prototype stays clean, the handler never runs',
    async (_label, frame) => {
      const client = await attacker();
      client.send(frame);
      client.send(`[${frame},{"type":"data","id":"ok1","name":"X","payload":1}]`);
      expect(await client.next()).toMatchObject({
        type: 'nack',
        id: 'p1',
        code: 'PROTOCOL_ERROR',
        message: expect.stringMatching(/^FORBIDDEN_KEY/),
      });
      expect(await client.next((e) => e.id === 'p1')).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
      expect(await client.next((e) => e.id === 'ok1')).toEqual({
        type: 'ack',
        id: 'ok1',
        response: { echo: 1 },
      });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(host.runs.get('p1')).toBeUndefined();
      await client.close();
      await expectUnharmed();
    },
  );

  it('closes 4000 a hello carrying a __proto__ key, without polluting anything', async () => {
    const client = await RawClient.open(host.url);
    client.send('{"type":"connect","v":1,"clientId":"c","__proto__":{"polluted":"hostile"}}');
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect((await client.closed).code).toBe(4000);
    await expectUnharmed();
  });

  it('nacks UNKNOWN_MESSAGE_TYPE for a name without a handler', async () => {
    const client = await attacker();
    client.message('u1', 'NO_SUCH_HANDLER', 'hostile');
    expect(await client.next()).toMatchObject({ type: 'nack', id: 'u1', code: 'UNKNOWN_MESSAGE_TYPE' });
    await stillOpen(client);
    await client.close();
    await expectUnharmed();
  });

  it('ignores acks, nacks and responses for ids it never sent: no answer, no effect', async () => {
    const client = await attacker();
    client.send([
      { type: 'ack', id: 'never-sent' },
      { type: 'ack', ids: ['x1', 'x2', `${'witness'}-1`] },
      { type: 'nack', id: 'never-sent', code: 'X', message: 'hostile' },
      { type: 'heartbeat_ack', ts: 5 },
      { type: 'response', id: 'never-sent', payload: 'hostile' },
      { type: 'reconnect' },
    ]);
    client.message('after', 'X', 'fine');
    // The first thing the attacker hears is the answer to its valid message: the others got nothing.
    expect(await client.next()).toEqual({ type: 'ack', id: 'after', response: { echo: 'fine' } });
    expect(client.pending).toEqual([]);
    await client.close();
    await expectUnharmed();
  });

  it('closes 4000 on a binary frame', async () => {
    const client = await attacker();
    client.send(Buffer.from('{"type":"data","id":"b1","name":"X","payload":"hostile"}'));
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect((await client.closed).code).toBe(4000);
    await expectUnharmed();
  });

  it('closes 1009 on a frame over maxPayload (1 MiB by default)', async () => {
    const client = await attacker();
    client.send(`{"type":"data","id":"big","name":"X","payload":"${'hostile'.repeat(160_000)}"}`);
    expect((await client.closed).code).toBe(1009);
    await expectUnharmed();
  });

  it(`closes 4000 after more than ${MAX_CONSECUTIVE_BAD_FRAMES} malformed frames in a row`, async () => {
    const client = await attacker();
    for (let i = 0; i <= MAX_CONSECUTIVE_BAD_FRAMES; i++) client.send('hostile garbage');
    expect((await client.closed).code).toBe(4000);
    await expectUnharmed();
  });

  it('closes 4002 a socket whose handshake never comes, and 4000 one that sends garbage instead', async () => {
    const silent = await RawClient.open(host.url);
    const started = Date.now();
    const garbage = await RawClient.open(host.url);
    garbage.send('{"type":"data","id":"g","name":"X","payload":"hostile"}');
    expect((await garbage.closed).code).toBe(4000);
    expect((await silent.closed).code).toBe(4002);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 20);
    await expectUnharmed();
  });

  it('holds frames behind the hello while authentication runs: up to 256 are answered in order after it, more close 4000', async () => {
    const slow = new ReliableWebSocketServer({
      port: 0,
      authenticate: () => new Promise((resolve) => setTimeout(() => resolve('slow'), 50)),
    });
    const pile = (client: RawClient, n: number): void => {
      const socket = (client.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
      socket.cork(); // one TCP write: the server reads the hello and the pile in one chunk
      client.send({ type: 'connect', v: 1, clientId: `piler-${n}` });
      for (let i = 0; i < n; i++) client.send({ type: 'heartbeat', ts: i });
      socket.uncork();
    };
    try {
      const { port } = await slow.listen();
      const polite = await RawClient.open(`ws://127.0.0.1:${port}`);
      pile(polite, 200);
      expect(await polite.next()).toMatchObject({ type: 'connect', sessionId: expect.any(String) });
      const acks = [];
      for (let i = 0; i < 200; i++) acks.push((await polite.next((e) => e.type === 'heartbeat_ack')).ts);
      expect(acks).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await polite.close();

      const piler = await RawClient.open(`ws://127.0.0.1:${port}`);
      pile(piler, 1000);
      expect((await piler.closed).code).toBe(4000);
      expect(piler.frames).toContainEqual({
        type: 'nack',
        code: 'PROTOCOL_ERROR',
        message: 'too many frames before the handshake completed',
      });
    } finally {
      await slow.close();
    }
    await expectUnharmed();
  });

  it('nacks a second connect on an open session and keeps it', async () => {
    const client = await attacker();
    client.send({ type: 'connect', v: 1, clientId: 'witness', apiKey: HOSTILE_KEY });
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    await stillOpen(client);
    await client.close();
    await expectUnharmed();
  });
});
