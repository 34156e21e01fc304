import {
  ConnectionState,
  ProtocolError,
  ReliableWebSocketClient,
  ReliableWebSocketError,
  type DeliveryResult,
  type ReliableClientOptions,
} from '../../src/node';
import { withTimeout } from '../helpers/raw-client';
import { until } from '../helpers/wait';
import { countDeliveries, faults, formatCounts, NO_FAULTS } from './helpers/counts';
import { HostileServer } from './helpers/hostile-server';

const OPTIONS: ReliableClientOptions = {
  enablePersistence: false,
  reconnectInterval: 20,
  maxReconnectAttempts: 50,
  backoff: { maxInterval: 100 },
  heartbeatInterval: 200,
  heartbeatTimeout: 500,
  messageTimeout: 5000,
  connectTimeout: 300,
};

describe('client against a hostile server', () => {
  let server: HostileServer;
  let client: ReliableWebSocketClient;
  const errors: Error[] = [];
  const states: string[] = [];
  let acknowledgedEvents = 0;

  beforeEach(async () => {
    server = await HostileServer.start();
    client = new ReliableWebSocketClient(server.url, OPTIONS);
    errors.length = 0;
    states.length = 0;
    acknowledgedEvents = 0;
    client.addEventListener('error', (e) => errors.push(e.detail.error));
    client.addEventListener('messageAcknowledged', () => acknowledgedEvents++);
    client.state$.subscribe((s) => states.push(s));
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  /** Counts from the client's point of view: the fake server has no handler, so "processed" is what it received. */
  function countsOf(results: DeliveryResult[]) {
    const processed = new Map<string, number>();
    for (const r of results)
      processed.set(r.messageId, Math.min(1, server.receivedCount.get(r.messageId) ?? 0));
    return countDeliveries({
      sent: results.map((r) => r.messageId),
      acknowledged: new Set(results.filter((r) => r.acknowledged).map((r) => r.messageId)),
      processed,
    });
  }

  const reasons = () =>
    errors.map((e) =>
      e instanceof ProtocolError ? e.reason : `${e.constructor.name}:${(e as ReliableWebSocketError).code}`,
    );

  it('garbage, binary, unknown types, bad fields, forbidden keys, an oversize frame: a typed error each, no crash, nothing lost', async () => {
    await client.connect();
    const pending = [1, 2, 3, 4, 5].map((i) => client.sendWithAcknowledgement({ type: 'ORDER', payload: i }));
    const conn = await server.connection(1);
    const ids = await conn.waitForData(5);

    conn.send('{"type":"ack",');
    conn.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    conn.send({ type: 'bogus', id: ids[0] });
    conn.send({ type: 'ack' });
    conn.send({ type: 'heartbeat_ack', ts: 'soon' });
    conn.send('{"type":"data","id":"p1","name":"PRICE","payload":{"__proto__":{"polluted":true}}}');
    conn.send(
      '{"type":"data","id":"p2","name":"PRICE","payload":{"constructor":{"prototype":{"polluted":true}}}}',
    );
    conn.send(`{"type":"data","id":"big","name":"PRICE","payload":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    conn.send('[42, {"type":"ack","id":""}, {"type":"nack","id":"x"}]');
    conn.send({ type: 'nack', code: 'WEIRD', message: 'a frame-level refusal without an id' });
    const expected = [
      'INVALID_JSON',
      'BINARY_FRAME',
      'UNKNOWN_TYPE',
      'INVALID_FIELD',
      'INVALID_FIELD',
      'FORBIDDEN_KEY',
      'FORBIDDEN_KEY',
      'TOO_LARGE',
      'NOT_AN_OBJECT',
      'INVALID_FIELD',
      'INVALID_FIELD',
      'ReliableWebSocketError:WEIRD',
    ];
    await until(() => errors.length >= expected.length, 3000, `${expected.length} error events`);
    expect(reasons()).toEqual(expected);
    expect(errors.every((e) => e instanceof ReliableWebSocketError)).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(client.getStats()).toMatchObject({ messagesReceived: 0, messagesAcknowledged: 0, queueSize: 5 });

    // The server behaves again: everything accepted is delivered.
    for (const id of ids) conn.ack(id, { ok: id });
    const results = await withTimeout(Promise.all(pending), 3000, 'acks');
    const counts = countsOf(results);
    console.log(
      formatCounts('hostile frames', counts, {
        'error events': errors.length,
        reconnects: client.getStats().reconnects,
      }),
    );
    expect(faults(counts)).toEqual(NO_FAULTS);
    expect(results.map((r) => r.response)).toEqual(ids.map((id) => ({ ok: id })));
    expect(states).not.toContain(ConnectionState.ERROR);
    expect(client.state).toBe(ConnectionState.CONNECTED);
    expect(server.connections).toHaveLength(1);
  });

  it('acks for ids never sent are ignored; duplicate acks settle once and do not double-count', async () => {
    await client.connect();
    const pending = [1, 2, 3].map((i) => client.sendWithAcknowledgement({ type: 'ORDER', payload: i }));
    const conn = await server.connection(1);
    const [a, b, c] = (await conn.waitForData(3)) as [string, string, string];
    conn.ack('never-sent-1');
    conn.send({ type: 'ack', ids: ['never-sent-2', 'never-sent-3'] });
    conn.ack(a, { first: true });
    conn.ack(a, { first: false });
    conn.send({ type: 'ack', ids: [a, a] });
    conn.send([
      { type: 'ack', id: a },
      { type: 'ack', id: a, response: { first: false } },
    ]);
    const first = await withTimeout(pending[0]!, 3000, 'first ack');
    expect(first).toMatchObject({ acknowledged: true, response: { first: true } });
    conn.send({ type: 'ack', ids: [b, c, b, 'never-sent-4'] });
    const results = await withTimeout(Promise.all(pending), 3000, 'acks');
    // The probe's ack travels behind every duplicate above on the same socket: once it is in, they were all read.
    const probe = client.sendWithAcknowledgement({ type: 'ORDER', payload: 'probe' });
    const [, , , probeId] = (await conn.waitForData(4)) as string[];
    conn.ack(probeId!);
    results.push(await withTimeout(probe, 3000, 'probe ack'));
    const counts = countsOf(results);
    const stats = client.getStats();
    console.log(
      formatCounts('unknown and duplicate acks', counts, {
        messagesAcknowledged: stats.messagesAcknowledged,
        'messageAcknowledged events': acknowledgedEvents,
        'error events': errors.length,
      }),
    );
    expect(faults(counts)).toEqual(NO_FAULTS);
    expect({
      stats: stats.messagesAcknowledged,
      events: acknowledgedEvents,
      inFlight: stats.inFlight,
    }).toEqual({
      stats: 4,
      events: 4,
      inFlight: 0,
    });
    expect(client.state).toBe(ConnectionState.CONNECTED);
  });

  it.each([4999, 1011])(
    'close code %i: reconnects (unknown and server-fault codes are retryable) and delivers what was accepted',
    async (code) => {
      await client.connect();
      const pending = [1, 2, 3, 4].map((i) => client.sendWithAcknowledgement({ type: 'ORDER', payload: i }));
      const conn = await server.connection(1);
      await conn.waitForData(4);
      server.behave = true;
      conn.close(code, 'misbehaving');
      const second = await server.connection(2);
      const results = await withTimeout(Promise.all(pending), 3000, 'acks after reconnect');
      results.push(
        await withTimeout(
          client.sendWithAcknowledgement({ type: 'ORDER', payload: 5 }),
          3000,
          'a new message',
        ),
      );
      const counts = countsOf(results);
      console.log(
        formatCounts(`close ${code}`, counts, {
          reconnects: client.getStats().reconnects,
          'error events': errors.length,
        }),
      );
      expect(faults(counts)).toEqual(NO_FAULTS);
      expect(second.received).toHaveLength(5);
      expect(client.getStats()).toMatchObject({ reconnects: 1, messagesAcknowledged: 5 });
      expect(states).toContain(ConnectionState.RECONNECTING);
      expect(states).not.toContain(ConnectionState.ERROR);
    },
  );

  it('a broken welcome is a protocol error that fails the attempt at once, then the client reconnects and delivers', async () => {
    server.welcome = {
      type: 'connect',
      v: 1,
      sessionId: 's',
      dedupeTtl: 'forever',
      heartbeatInterval: 30000,
      maxPayload: 1048576,
    };
    const connected = client.connect();
    const pending = client.sendWithAcknowledgement({ type: 'ORDER', payload: 'queued' });
    await server.connection(1);
    await until(() => errors.length >= 1, 3000, 'the protocol error');
    server.welcome = {
      type: 'connect',
      v: 1,
      sessionId: 's',
      dedupeTtl: 600000,
      heartbeatInterval: 30000,
      maxPayload: 1048576,
    };
    server.behave = true;
    await withTimeout(connected, 3000, 'connect after the failed attempt');
    const result = await withTimeout(pending, 3000, 'ack');
    const counts = countsOf([result]);
    console.log(formatCounts('broken welcome', counts, { 'error events': reasons().join(',') }));
    expect(reasons()[0]).toBe('INVALID_FIELD');
    expect(faults(counts)).toEqual(NO_FAULTS);
    expect(server.connections.length).toBeGreaterThanOrEqual(2);
    expect(states).not.toContain(ConnectionState.ERROR);
  });
});
