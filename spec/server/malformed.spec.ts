import { filter, firstValueFrom } from 'rxjs';
import { ReliableWebSocketServer, MAX_CONSECUTIVE_BAD_FRAMES } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';

let server: ReliableWebSocketServer;
let url: string;
let runs: unknown[];

beforeEach(async () => {
  runs = [];
  server = new ReliableWebSocketServer({ port: 0 });
  server.handle('X', (payload) => {
    runs.push(payload);
    return 'ok';
  });
  const { port } = await server.listen();
  url = `ws://127.0.0.1:${port}`;
});
afterEach(() => server.close());

/** A second, well-behaved client completes a round trip. */
async function stillServes(): Promise<void> {
  const probe = await RawClient.connect(url, 'probe');
  probe.message('probe-1', 'X', 'probe');
  expect(await probe.next()).toEqual({ type: 'ack', id: 'probe-1', response: 'ok' });
  await probe.close();
}

describe('ReliableWebSocketServer with malformed input', () => {
  it('nacks invalid JSON without an id and keeps the connection', async () => {
    const client = await RawClient.connect(url, 'c1');
    client.send('{"type":"data",');
    expect(await client.next()).toEqual({
      type: 'nack',
      code: 'PROTOCOL_ERROR',
      message: expect.stringContaining('INVALID_JSON'),
    });
    client.message('m1', 'X');
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: 'ok' });
    expect(server.stats().protocolErrors).toBe(1);
    await client.close();
  });

  it('nacks each bad element of an array, with its id when it has one, and runs the good ones', async () => {
    const client = await RawClient.connect(url, 'c1');
    client.send([
      1,
      'x',
      null,
      { type: 'data', id: 'no-name' },
      { type: 'bogus', id: 'b1' },
      { type: 'data', id: 'g1', name: 'X' },
    ]);
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map(() => client.next()));
    const nacks = answers.filter((a) => a.type === 'nack');
    expect(nacks).toHaveLength(5);
    expect(nacks.every((n) => n.code === 'PROTOCOL_ERROR')).toBe(true);
    expect(nacks.filter((n) => n.id === undefined)).toHaveLength(3);
    expect(nacks.map((n) => n.id).filter(Boolean)).toEqual(['no-name', 'b1']);
    expect(answers).toContainEqual({ type: 'ack', id: 'g1', response: 'ok' });
    await client.close();
  });

  it('nacks an empty batch', async () => {
    const client = await RawClient.connect(url, 'c1');
    client.send([]);
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    await client.close();
  });

  it.each([
    ['__proto__', '{"type":"data","id":"p1","name":"X","payload":{"__proto__":{"polluted":true}}}'],
    [
      'nested __proto__',
      '{"type":"data","id":"p1","name":"X","payload":{"a":[{"b":{"__proto__":{"polluted":true}}}]}}',
    ],
    [
      'constructor.prototype',
      '{"type":"data","id":"p1","name":"X","payload":{"constructor":{"prototype":{"polluted":true}}}}',
    ],
    ['top-level __proto__', '{"type":"data","id":"p1","name":"X","__proto__":{"polluted":true}}'],
  ])('refuses %s keys without polluting Object.prototype or running the handler', async (_label, frame) => {
    const client = await RawClient.connect(url, 'c1');
    client.send(frame);
    expect(await client.next()).toMatchObject({
      type: 'nack',
      id: 'p1',
      code: 'PROTOCOL_ERROR',
      message: expect.stringContaining('FORBIDDEN_KEY'),
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(runs).toEqual([]);
    await client.close();
    await stillServes();
  });

  it('refuses deep nesting with TOO_DEEP, also far past any recursion limit', async () => {
    const client = await RawClient.connect(url, 'c1');
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    client.send(`{"type":"data","id":"d1","name":"X","payload":${deep(40)}}`);
    expect(await client.next()).toMatchObject({
      type: 'nack',
      id: 'd1',
      code: 'PROTOCOL_ERROR',
      message: expect.stringContaining('TOO_DEEP'),
    });
    client.send(`{"type":"data","id":"d2","name":"X","payload":${deep(100_000)}}`);
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect(runs).toEqual([]);
    client.message('m1', 'X', { shallow: [[1]] });
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: 'ok' });
    await client.close();
  });

  it('closes 4000 on a binary frame, and keeps serving others', async () => {
    const client = await RawClient.connect(url, 'c1');
    client.send(Buffer.from(JSON.stringify({ type: 'data', id: 'm1', name: 'X' })));
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect((await client.closed).code).toBe(4000);
    expect(runs).toEqual([]);
    await stillServes();
  });

  it(`closes 4000 after more than ${MAX_CONSECUTIVE_BAD_FRAMES} bad frames in a row`, async () => {
    const client = await RawClient.connect(url, 'c1');
    for (let i = 0; i < MAX_CONSECUTIVE_BAD_FRAMES; i++) client.send('garbage');
    client.message('m1', 'X'); // a good frame resets the count
    expect(await client.next((e) => e.type === 'ack')).toEqual({ type: 'ack', id: 'm1', response: 'ok' });
    for (let i = 0; i < MAX_CONSECUTIVE_BAD_FRAMES + 1; i++) client.send('garbage');
    expect((await client.closed).code).toBe(4000);
    await stillServes();
  });

  it('survives invalid UTF-8 in a text frame (ws closes 1007) and reports it', async () => {
    const client = await RawClient.connect(url, 'c1');
    const errors: unknown[] = [];
    const sub = server.events$.subscribe((e) => e.type === 'error' && errors.push(e.error));
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    expect(errors).toHaveLength(1);
    sub.unsubscribe();
    await stillServes();
  });

  it('survives a client that vanishes mid-handler', async () => {
    let release!: () => void;
    server.handle('SLOW', () => new Promise<string>((resolve) => (release = () => resolve('late'))));
    const client = await RawClient.connect(url, 'c1');
    const started = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'message')));
    client.message('m1', 'SLOW');
    await started;
    client.terminate();
    await client.closed;
    release();
    await stillServes();
    expect(server.stats()).toMatchObject({ messagesHandled: 2, inFlight: 0 });
  });
});
