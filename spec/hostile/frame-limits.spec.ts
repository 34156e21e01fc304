import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ReliableWebSocketClient } from '../../src/node';
import { MessageType, type Envelope } from '../../src/protocol';
import {
  MAX_BARE_ACKS_PER_WRITE,
  OutgoingBatcher,
  type BatcherLimits,
} from '../../src/server/outgoing-batcher';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

function batcher(overrides: Partial<BatcherLimits> = {}): {
  batcher: OutgoingBatcher;
  frames: string[];
  failures: unknown[];
  cut: () => number;
} {
  const frames: string[] = [];
  const failures: unknown[] = [];
  let cuts = 0;
  const limits: BatcherLimits = {
    maxFrameBytes: 4096,
    maxQueuedBytes: 1024 * 1024,
    buffered: () => 0,
    overBudget: () => cuts++,
    tooLarge: (envelope) =>
      envelope.type === MessageType.ACK && envelope.id !== undefined
        ? { type: MessageType.NACK, id: envelope.id, code: 'RESPONSE_TOO_LARGE', message: 'too large' }
        : undefined,
    failed: (error) => failures.push(error),
    ...overrides,
  };
  const b = new OutgoingBatcher(
    (frame) => frames.push(frame),
    () => undefined,
    limits,
  );
  return { batcher: b, frames, failures, cut: () => cuts };
}

function envelopes(frames: string[]): Envelope[] {
  return frames.flatMap((f) => {
    const parsed = JSON.parse(f) as Envelope | Envelope[];
    return Array.isArray(parsed) ? parsed : [parsed];
  });
}

describe('OutgoingBatcher', () => {
  it('cuts a tick of answers into frames no bigger than the peer limit, losing none', () => {
    const { batcher: b, frames } = batcher();
    for (let i = 0; i < 100; i++) b.ackWith(`id-${i}`, 'x'.repeat(200), {});
    for (let i = 0; i < 500; i++) b.ack(`bare-${i}`);
    b.flush();
    expect(frames.length).toBeGreaterThan(5);
    for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(4096);
    const all = envelopes(frames);
    const acked = new Set(all.flatMap((e) => (e.type === 'ack' ? (e.ids ?? [e.id!]) : [])));
    expect(acked.size).toBe(600);
  });

  it('writes the bare acks as soon as MAX_BARE_ACKS_PER_WRITE wait, then the rest at the flush, each once and in order', () => {
    const { batcher: b, frames } = batcher({ maxFrameBytes: 1 << 20 });
    const ids = Array.from({ length: 2 * MAX_BARE_ACKS_PER_WRITE + 500 }, (_, i) => `m-${i}`);
    for (const id of ids.slice(0, MAX_BARE_ACKS_PER_WRITE - 1)) b.ack(id);
    expect(frames).toEqual([]);
    b.ack(ids[MAX_BARE_ACKS_PER_WRITE - 1]!);
    expect(frames).toHaveLength(1);
    for (const id of ids.slice(MAX_BARE_ACKS_PER_WRITE)) b.ack(id);
    expect(frames).toHaveLength(2);
    b.flush();
    expect(frames).toHaveLength(3);
    const acked = envelopes(frames).flatMap((e) => (e.type === 'ack' ? (e.ids ?? [e.id!]) : []));
    expect(acked).toEqual(ids);
  });

  it('replaces an answer bigger than the peer can take by its nack', () => {
    const { batcher: b, frames } = batcher();
    b.ackWith('big', 'x'.repeat(5000), {});
    b.flush();
    expect(envelopes(frames)).toEqual([
      { type: 'nack', id: 'big', code: 'RESPONSE_TOO_LARGE', message: 'too large' },
    ]);
  });

  it('calls overBudget and drops its queue once queued plus buffered bytes pass maxQueuedBytes', () => {
    const { batcher: b, frames, cut } = batcher({ maxQueuedBytes: 10_000, buffered: () => 5000 });
    for (let i = 0; i < 30 && cut() === 0; i++) b.ackWith(`id-${i}`, 'x'.repeat(300), {});
    expect(cut()).toBe(1);
    b.flush();
    expect(frames).toEqual([]);
  });

  it('contains a write that throws: reported through failed, never thrown', () => {
    const failures: unknown[] = [];
    const b = new OutgoingBatcher(
      () => {
        throw new RangeError('Invalid string length');
      },
      () => undefined,
      {
        maxFrameBytes: 4096,
        maxQueuedBytes: 1 << 20,
        buffered: () => 0,
        overBudget: () => undefined,
        tooLarge: () => undefined,
        failed: (error) => failures.push(error),
      },
    );
    b.ack('a');
    expect(() => b.flush()).not.toThrow();
    expect(failures).toEqual([expect.any(RangeError)]);
  });
});

describe('the inbound frame limit each side advertises', () => {
  it('the client sends maxPayload (its inbound limit, 1 MiB) in its hello', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const hello = new Promise<Record<string, unknown>>((resolve) =>
      wss.once('connection', (ws) => ws.once('message', (data) => resolve(JSON.parse(data.toString())))),
    );
    const client = new ReliableWebSocketClient(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
      enablePersistence: false,
      maxReconnectAttempts: 0,
    });
    void client.connect().catch(() => undefined);
    expect(await withTimeout(hello, 3000, 'the hello')).toMatchObject({
      type: 'connect',
      v: 1,
      maxPayload: 1024 * 1024,
    });
    await client.close();
    await new Promise((resolve) => wss.close(resolve));
  });

  it('the server cuts its frames under the limit a client advertises, and records a too-large answer as the outcome', async () => {
    const { server, url } = await start();
    let runs = 0;
    server.handle('ECHO', (payload: string) => (runs++, payload));
    server.handle('BIG', () => (runs++, 'x'.repeat(3000)));
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'small', maxPayload: 2048 });
    expect(await client.next()).toMatchObject({ type: 'connect', sessionId: expect.any(String) });
    const ids = Array.from({ length: 40 }, (_, i) => `e${i}`);
    client.send(ids.map((id) => ({ type: 'data', id, name: 'ECHO', payload: 'y'.repeat(100) })));
    await client.acks(ids);
    const frames = client.frames.slice(1).map((f) => Buffer.byteLength(JSON.stringify(f)));
    expect(frames.length).toBeGreaterThan(1);
    expect(Math.max(...frames)).toBeLessThanOrEqual(2048);

    client.message('b1', 'BIG');
    const nack = await client.next((e) => e.id === 'b1');
    expect(nack).toMatchObject({ type: 'nack', code: 'RESPONSE_TOO_LARGE' });
    expect(nack.message).toMatch(/^RESPONSE_TOO_LARGE: /);
    client.message('b1', 'BIG'); // a resend gets the same answer, without a second run
    expect(await client.next((e) => e.id === 'b1')).toEqual(nack);
    expect(runs).toBe(41);
    await client.close();
  });

  it('answers copies of a new id inside one frame once, and the handler runs once', async () => {
    const { server, url } = await start();
    let runs = 0;
    server.handle('ECHO', (payload: string) => (runs++, payload));
    server.handle('SLOW', () => (runs++, new Promise((resolve) => setTimeout(() => resolve('slow'), 20))));
    const client = await RawClient.connect(url, 'copies');
    const copies = (id: string, name: string): unknown[] =>
      Array.from({ length: 50 }, () => ({ type: 'data', id, name, payload: id }));
    client.send([
      ...copies('n1', 'ECHO'),
      { type: 'data', id: 'other', name: 'ECHO', payload: 'o' },
      ...copies('s1', 'SLOW'),
    ]);
    client.send({ type: 'heartbeat', ts: 1 });
    await client.next((e) => e.type === 'heartbeat_ack');
    await client.next((e) => e.id === 's1', 'the slow answer');
    client.send({ type: 'heartbeat', ts: 2 });
    await client.next((e) => e.type === 'heartbeat_ack');
    const answered = (id: string): number =>
      client.pending.filter((e: { id?: string }) => e.id === id).length;
    expect([answered('n1'), answered('other')]).toEqual([1, 1]);
    expect(answered('s1')).toBe(0); // its one answer was consumed above
    expect(runs).toBe(3);
    expect(server.stats().duplicates).toBe(98);
    await client.close();
  });

  it('refuses a hello advertising less than 1024 bytes', async () => {
    const { url } = await start();
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'tiny', maxPayload: 10 });
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect((await client.closed).code).toBe(4000);
  });
});
