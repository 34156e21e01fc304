import { filter, firstValueFrom } from 'rxjs';
import {
  ReliableWebSocketServer,
  TokenBucket,
  type ReliableWebSocketServerOptions,
} from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';

const servers: ReliableWebSocketServer[] = [];
async function start(
  options: ReliableWebSocketServerOptions = {},
): Promise<{ server: ReliableWebSocketServer; url: string }> {
  const server = new ReliableWebSocketServer({ port: 0, ...options });
  servers.push(server);
  server.handle('X', (payload) => payload);
  const { port } = await server.listen();
  return { server, url: `ws://127.0.0.1:${port}` };
}
afterEach(() => Promise.all(servers.splice(0).map((s) => s.close())));

/** Proves the server still serves: a fresh client completes a round trip. */
async function stillServes(url: string): Promise<void> {
  const probe = await RawClient.connect(url, `probe-${Math.random()}`);
  probe.message('probe', 'X', 'alive');
  expect(await probe.next()).toEqual({ type: 'ack', id: 'probe', response: 'alive' });
  await probe.close();
}

describe('ReliableWebSocketServer limits', () => {
  it('closes 1009 on a frame larger than maxPayload and keeps serving', async () => {
    const { url } = await start({ maxPayload: 1024 });
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'X', 'a'.repeat(900));
    expect(await client.next()).toMatchObject({ type: 'ack', id: 'm1' });
    client.message('m2', 'X', 'a'.repeat(2000));
    expect((await client.closed).code).toBe(1009);
    await stillServes(url);
  });

  it('advertises maxPayload in the welcome', async () => {
    const { url } = await start({ maxPayload: 4096 });
    const client = await RawClient.open(url);
    expect(await client.hello('c1')).toMatchObject({ maxPayload: 4096 });
    await client.close();
  });

  it('closes 4005 a socket beyond maxConnections, and admits again once one leaves', async () => {
    const { server, url } = await start({ maxConnections: 2 });
    const a = await RawClient.connect(url, 'a');
    const b = await RawClient.open(url); // counts before its handshake too
    const c = await RawClient.open(url);
    expect((await c.closed).code).toBe(4005);
    expect(server.stats().connections).toBe(2);
    const left = firstValueFrom(
      server.events$.pipe(filter((e) => e.type === 'disconnect' && e.clientId === 'a')),
    );
    await a.close();
    await left;
    await stillServes(url);
    await b.close();
  });

  it('refuses an upgrade from an Origin not in allowedOrigins with 403', async () => {
    const { url } = await start({ allowedOrigins: ['https://trade.example.com'] });
    expect(await RawClient.upgradeStatus(url, { origin: 'https://evil.example.com' })).toBe(403);
    expect(await RawClient.upgradeStatus(url)).toBe(403);
    const allowed = await RawClient.connect(url, 'c1', undefined, { origin: 'https://trade.example.com' });
    allowed.message('m1', 'X', 1);
    expect(await allowed.next()).toEqual({ type: 'ack', id: 'm1', response: 1 });
    await allowed.close();
  });

  it('serves only `path` when set', async () => {
    const { url } = await start({ path: '/ws' });
    expect(await RawClient.upgradeStatus(`${url}/other`)).toBe(404);
    const client = await RawClient.connect(`${url}/ws?v=1`, 'c1');
    await client.close();
  });

  it('nacks RATE_LIMITED with retryAfter past the burst, then closes 4004 on sustained abuse', async () => {
    const { server, url } = await start({ rateLimit: { messagesPerSecond: 1, burst: 3 } });
    const client = await RawClient.connect(url, 'c1');
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    client.send(ids.map((id) => ({ type: 'data', id, name: 'X', payload: id })));
    const answers = await Promise.all(ids.slice(0, 7).map((id) => client.next((e) => e.id === id, id)));
    expect(answers.slice(0, 3).map((a) => a.type)).toEqual(['ack', 'ack', 'ack']);
    for (const nack of answers.slice(3)) {
      expect(nack).toMatchObject({ type: 'nack', code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      expect(nack.retryAfter).toBeGreaterThan(0);
      expect(nack.retryAfter).toBeLessThanOrEqual(1000);
    }
    expect((await client.closed).code).toBe(4004);
    expect(server.stats().rateLimited).toBe(4);
    expect(client.pending.filter((e) => e.id === 'm7' || e.id === 'm8' || e.id === 'm9')).toEqual([]);
    await stillServes(url);
  });

  it('does not remember a rate-limited message: its resend is processed', async () => {
    const { server, url } = await start({ rateLimit: { messagesPerSecond: 0.001, burst: 1 } });
    let runs = 0;
    server.handle('COUNT', () => ++runs);
    const client = await RawClient.connect(url, 'c1');
    client.send([
      { type: 'data', id: 'a', name: 'COUNT' },
      { type: 'data', id: 'b', name: 'COUNT' },
    ]);
    expect(await client.next((e) => e.id === 'b')).toMatchObject({ type: 'nack', code: 'RATE_LIMITED' });
    expect(server.stats()).toMatchObject({ dedupeEntries: 1, messagesHandled: 1 });
    // The bucket is per connection: the same client reconnecting gets a fresh one.
    const again = await RawClient.connect(url, 'c1');
    again.message('b', 'COUNT');
    expect(await again.next()).toEqual({ type: 'ack', id: 'b', response: 2 });
    await again.close();
  });
});

describe('TokenBucket', () => {
  it('grants `burst` tokens at once, then refills at the rate and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    expect([bucket.take(), bucket.take()]).toEqual([0, 0]);
    expect(bucket.take()).toBe(100);
    now = 50;
    expect(bucket.take()).toBe(50);
    now = 100;
    expect(bucket.take()).toBe(0);
    now = 10_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 100]);
  });

  it('rejects bad settings', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(TypeError);
    expect(() => new TokenBucket(1, 0)).toThrow(TypeError);
  });
});
