import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { FaultProxy } from '../helpers/fault-proxy';
import { closeReason, connect, readBytes, startSink, until, withDeadline, type TcpSink } from './tcp-sink';

describe('FaultProxy', () => {
  let sink: TcpSink;
  let proxy: FaultProxy;
  const open: Socket[] = [];

  /** A client through the proxy and the sink's end of the same link. */
  async function link(): Promise<{ client: Socket; server: Socket }> {
    const client = await connect(proxy.port);
    client.on('error', () => undefined);
    open.push(client);
    return { client, server: await sink.nextSocket() };
  }

  beforeEach(async () => {
    sink = await startSink();
    proxy = new FaultProxy({ target: { host: '127.0.0.1', port: sink.port }, seed: 1 });
    await proxy.listen();
  });

  afterEach(async () => {
    for (const socket of open.splice(0)) socket.destroy();
    await proxy.close();
    await sink.close();
  });

  it('forwards bytes both ways and counts them', async () => {
    const { client, server } = await link();
    client.write('hello');
    expect((await readBytes(server, 5)).toString()).toBe('hello');
    server.write('world!');
    expect((await readBytes(client, 6)).toString()).toBe('world!');
    expect(proxy.stats).toMatchObject({ connections: 1, live: 1, bytesUp: 5, bytesDown: 6, resets: 0 });
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}`);
  });

  it('resetAll gives ECONNRESET to both peers', async () => {
    const { client, server } = await link();
    const clientReason = closeReason(client);
    const serverReason = closeReason(server);
    proxy.resetAll();
    expect(await clientReason).toBe('ECONNRESET');
    expect(await serverReason).toBe('ECONNRESET');
    expect(proxy.stats.resets).toBe(1);
    await until(() => proxy.stats.live === 0, 'the link to be gone');
  });

  it('dropAll closes links without a reset', async () => {
    const { client } = await link();
    const reason = closeReason(client);
    proxy.dropAll();
    expect(await reason).toBe('close');
    expect(proxy.stats.resets).toBe(0);
  });

  it('blackhole stops bytes both ways, drops them, and resumes forwarding', async () => {
    const { client, server } = await link();
    proxy.blackhole(true);
    const received: string[] = [];
    server.on('data', (chunk: Buffer) => received.push(`up:${chunk}`));
    client.on('data', (chunk: Buffer) => received.push(`down:${chunk}`));
    client.write('lost-up');
    server.write('lost-down');
    await until(() => proxy.stats.bytesDropped === 16, 'the proxy to swallow 16 bytes');
    expect(received).toEqual([]);

    const late = await link();
    late.client.write('late');
    await until(() => proxy.stats.bytesDropped === 20, 'new links to be black-holed too');

    proxy.blackhole(false);
    client.write('up');
    await until(() => received.length === 1, 'the upstream byte');
    server.write('down');
    await until(() => received.length === 2, 'the downstream byte');
    expect(received).toEqual(['up:up', 'down:down']);
    expect(proxy.stats).toMatchObject({ live: 2, bytesUp: 2, bytesDown: 4 });
  });

  it('setLatency delays each direction, and jitter keeps byte order', async () => {
    const { client, server } = await link();
    server.on('data', (chunk: Buffer) => server.write(chunk));
    const roundTrip = async (payload: string) => {
      const started = performance.now();
      client.write(payload);
      expect((await readBytes(client, payload.length)).toString()).toBe(payload);
      return performance.now() - started;
    };
    expect(await roundTrip('fast')).toBeLessThan(60);
    proxy.setLatency(80);
    expect(await roundTrip('slow')).toBeGreaterThanOrEqual(155);

    proxy.setLatency(2, 40);
    const expected = Array.from({ length: 40 }, (_, i) => `<${i}>`).join('');
    const echoed = readBytes(client, expected.length);
    for (let i = 0; i < 40; i += 1) {
      client.write(`<${i}>`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await echoed).toString()).toBe(expected);
  });

  it('setBandwidth paces the bytes', async () => {
    const { client, server } = await link();
    proxy.setBandwidth(20_000);
    const payload = Buffer.alloc(4000, 7);
    const started = performance.now();
    client.write(payload);
    expect((await readBytes(server, 4000)).equals(payload)).toBe(true);
    // 4000 B at 20 kB/s: the last 200-byte piece leaves 190 ms after the first.
    expect(performance.now() - started).toBeGreaterThanOrEqual(170);
  });

  it('setSliceSize splits writes into small segments, data intact', async () => {
    const { client, server } = await link();
    proxy.setSliceSize(16);
    const payload = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    const sizes: number[] = [];
    server.on('data', (chunk: Buffer) => sizes.push(chunk.length));
    client.write(payload);
    const got = await readBytes(server, payload.length);
    expect(got.equals(payload)).toBe(true);
    expect(sizes.length).toBeGreaterThanOrEqual(32);
    expect(proxy.stats.bytesUp).toBe(4096);
  });

  // Linux reports an RST that lands behind unread bytes as end-of-stream, so the
  // receiving peer may see 'end'; the sending peer always sees the reset.
  it('cutAfterBytes lets exactly that many bytes through, then resets the link', async () => {
    const { client, server } = await link();
    const serverSide = readBytes(server, 10);
    const serverReason = closeReason(server, true);
    const clientReason = closeReason(client);
    proxy.cutAfterBytes('upstream', 10);
    client.write(Buffer.alloc(100, 1));
    expect((await serverSide).length).toBe(10);
    expect(['end', 'ECONNRESET']).toContain(await serverReason);
    expect(await clientReason).toBe('ECONNRESET');
    expect(proxy.stats).toMatchObject({ resets: 1, bytesUp: 10, bytesDropped: 90 });

    const next = await link(); // one-shot: the next link is untouched
    next.client.write('fine');
    expect((await readBytes(next.server, 4)).toString()).toBe('fine');
  });

  it('cutAfterBytes counts downstream bytes across writes', async () => {
    const { client, server } = await link();
    const clientReason = closeReason(client, true);
    const serverReason = closeReason(server);
    let got = 0;
    client.on('data', (chunk: Buffer) => (got += chunk.length));
    proxy.cutAfterBytes('downstream', 7);
    server.write('abcd');
    await until(() => got === 4, 'the first write');
    server.write('efgh');
    expect(await serverReason).toBe('ECONNRESET');
    expect(['end', 'ECONNRESET']).toContain(await clientReason);
    expect(got).toBe(7);
  });

  it('dropDirection discards one direction only, until switched off', async () => {
    const { client, server } = await link();
    proxy.dropDirection('downstream', true);
    client.write('ping');
    expect((await readBytes(server, 4)).toString()).toBe('ping');
    const heard: string[] = [];
    client.on('data', (chunk: Buffer) => heard.push(chunk.toString()));
    server.write('ack1');
    await until(() => proxy.stats.bytesDropped === 4, 'the ack to be dropped');
    expect(heard).toEqual([]);
    proxy.dropDirection('downstream', false);
    server.write('ack2');
    await until(() => heard.length === 1, 'the second ack');
    expect(heard).toEqual(['ack2']);
  });

  it('passes a FIN on by default, and holds it with holdClose', async () => {
    const first = await link();
    const ended = withDeadline(new Promise((resolve) => first.client.once('end', resolve)), 'end');
    first.server.end();
    await ended;

    proxy.holdClose(true);
    const { client, server } = await link();
    let clientEnded = false;
    client.on('end', () => (clientEnded = true));
    const gone = closeReason(server);
    server.destroy();
    await gone;
    // Keep writing until the proxy has torn its target side down and swallows the bytes.
    const before = proxy.stats.bytesDropped;
    await until(
      () => proxy.stats.bytesDropped > before || !client.write('x'),
      'writes to the half-open link to vanish',
    );
    expect(clientEnded).toBe(false);
    expect(client.destroyed).toBe(false);
    expect(proxy.stats.live).toBe(2);
  });

  it('seeds a replayable PRNG', () => {
    const other = new FaultProxy({ target: { host: '127.0.0.1', port: 1 }, seed: 1 });
    const different = new FaultProxy({ target: { host: '127.0.0.1', port: 1 }, seed: 2 });
    const draws = Array.from({ length: 8 }, () => proxy.random());
    expect(Array.from({ length: 8 }, () => other.random())).toEqual(draws);
    expect(Array.from({ length: 8 }, () => different.random())).not.toEqual(draws);
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(proxy.seed).toBe(1);
  });

  it('close() ends every link and stops listening', async () => {
    const { client } = await link();
    const reason = closeReason(client);
    const port = proxy.port;
    await proxy.close();
    expect(await reason).toBe('close');
    expect(proxy.stats.live).toBe(0);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('resets the client when the target refuses', async () => {
    const port = sink.port;
    await sink.close();
    const lonely = new FaultProxy({ target: { host: '127.0.0.1', port } });
    await lonely.listen();
    try {
      const client = await connect(lonely.port);
      expect(await closeReason(client)).toBe('ECONNRESET');
    } finally {
      await lonely.close();
    }
  });

  it('rejects invalid configuration with a TypeError naming the option', () => {
    expect(() => new FaultProxy({ target: { host: '127.0.0.1', port: 0 } })).toThrow(/"target"/);
    expect(() => proxy.setLatency(-1)).toThrow(TypeError);
    expect(() => proxy.setBandwidth(0)).toThrow(/bytesPerSecond/);
    expect(() => proxy.setSliceSize(0.5)).toThrow(/slice size/);
    expect(() => proxy.cutAfterBytes('sideways' as never, 1)).toThrow(/direction/);
  });

  it('carries a ws connection, and a reset closes it abnormally', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`ack:${data}`)));
    const viaWs = new FaultProxy({
      target: { host: '127.0.0.1', port: (wss.address() as AddressInfo).port },
    });
    await viaWs.listen();
    const ws = new WebSocket(viaWs.url);
    try {
      await withDeadline(new Promise((resolve) => ws.once('open', resolve)), 'ws open');
      const reply = withDeadline(
        new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d)))),
        'reply',
      );
      viaWs.setSliceSize(3);
      ws.send('order-1');
      expect(await reply).toBe('ack:order-1');
      const closed = withDeadline(new Promise<number>((resolve) => ws.once('close', resolve)), 'ws close');
      ws.on('error', () => undefined);
      viaWs.resetAll();
      expect(await closed).toBe(1006);
    } finally {
      ws.terminate();
      await viaWs.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
