import type { IncomingMessage } from 'node:http';
import { firstValueFrom, filter } from 'rxjs';
import { ApiKeyAuthenticator, CloseCode } from '../../src/server/index';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

describe('ReliableWebSocketServer handshake', () => {
  it('answers a valid connect with the session rules', async () => {
    const { url } = await start({ apiKeys: ['k1'], heartbeatInterval: 1234 });
    const client = await RawClient.open(url);
    const welcome = await client.hello('c1', 'k1');
    expect(welcome).toEqual({
      type: 'connect',
      v: 1,
      sessionId: expect.any(String),
      dedupeTtl: 600000,
      heartbeatInterval: 1234,
      maxPayload: 1048576,
    });
    await client.close();
  });

  it('refuses a bad key with a nack, then closes 4001', async () => {
    const { server, url } = await start({ apiKeys: ['k1'] });
    const client = await RawClient.open(url);
    const nack = await client.hello('c1', 'wrong');
    expect(nack).toMatchObject({ type: 'nack', code: 'AUTHENTICATION_FAILED', message: expect.any(String) });
    expect(nack.id).toBeUndefined();
    expect((await client.closed).code).toBe(CloseCode.AUTHENTICATION_FAILED);
    expect(server.stats().authFailures).toBe(1);
  });

  it('refuses a missing key when keys are configured', async () => {
    const { url } = await start({ apiKeys: ['k1'] });
    const client = await RawClient.open(url);
    expect(await client.hello('c1')).toMatchObject({ type: 'nack', code: 'AUTHENTICATION_FAILED' });
    expect((await client.closed).code).toBe(4001);
  });

  it('closes 4002 when no connect frame arrives within handshakeTimeout', async () => {
    const { url } = await start({ handshakeTimeout: 50 });
    const client = await RawClient.open(url);
    const closed = await withTimeout(client.closed, 2000, 'handshake timeout close');
    expect(closed.code).toBe(CloseCode.HANDSHAKE_TIMEOUT);
  });

  it('does not close a session that completed its handshake in time', async () => {
    const { server, url } = await start({ handshakeTimeout: 50 });
    const client = await RawClient.connect(url, 'c1');
    server.handle('X', () => 'ok');
    // A socket opened later that never says hello times out after client's deadline has passed too.
    const silent = await RawClient.open(url);
    expect((await silent.closed).code).toBe(4002);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.message('m1', 'X');
    expect(await client.next((e) => e.type === 'ack')).toEqual({ type: 'ack', id: 'm1', response: 'ok' });
    await client.close();
  });

  it.each([
    ['an app message', { type: 'data', id: 'm1', name: 'X', payload: {} }],
    ['a heartbeat', { type: 'heartbeat', ts: 1 }],
    ['a batch holding a connect', [{ type: 'connect', v: 1, clientId: 'c1' }]],
    [
      'a server welcome',
      { type: 'connect', v: 1, sessionId: 's', dedupeTtl: 1, heartbeatInterval: 1, maxPayload: 1 },
    ],
    ['an unsupported version', { type: 'connect', v: 2, clientId: 'c1' }],
    ['invalid JSON', '{"type":"connect",'],
  ])('closes 4000 when the first frame is %s', async (_label, frame) => {
    const { server, url } = await start();
    const client = await RawClient.open(url);
    client.send(frame);
    expect(await client.next()).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect((await client.closed).code).toBe(CloseCode.PROTOCOL_ERROR);
    expect(server.stats().sessions).toBe(0);
  });

  it('closes 4000 when the first frame is binary', async () => {
    const { url } = await start();
    const client = await RawClient.open(url);
    client.send(Buffer.from(JSON.stringify({ type: 'connect', v: 1, clientId: 'c1' })));
    expect((await client.closed).code).toBe(CloseCode.PROTOCOL_ERROR);
  });

  it("makes everybody principal 'anonymous' without authentication", async () => {
    const { server, url } = await start();
    const principals: string[] = [];
    server.handle('WHO', (_p, ctx) => principals.push(ctx.principal));
    const client = await RawClient.connect(url, 'c1', 'anything');
    client.message('m1', 'WHO');
    await client.acks(['m1']);
    expect(principals).toEqual(['anonymous']);
    await client.close();
  });

  it('uses the principal returned by an async authenticate(apiKey, request)', async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    const { server, url } = await start({
      authenticate: async (apiKey: string | undefined, request: IncomingMessage) => {
        seen.push([apiKey, request.headers['user-agent']]);
        return apiKey === 'good' ? 'alice' : null;
      },
    });
    server.handle('WHO', (_p, ctx) => ctx);
    const client = await RawClient.connect(url, 'c1', 'good', { headers: { 'user-agent': 'spec' } });
    client.message('m1', 'WHO');
    const ack = await client.next((e) => e.type === 'ack');
    expect(ack.response).toEqual({
      clientId: 'c1',
      principal: 'alice',
      messageId: 'm1',
      sessionId: expect.any(String),
      name: 'WHO',
    });
    expect(seen).toEqual([['good', 'spec']]);

    const refused = await RawClient.open(url);
    expect(await refused.hello('c2', 'bad')).toMatchObject({ type: 'nack', code: 'AUTHENTICATION_FAILED' });
    expect((await refused.closed).code).toBe(4001);
    await client.close();
  });

  it('closes 1011 (retryable) and reports an error when authenticate throws', async () => {
    const { server, url } = await start({
      authenticate: () => {
        throw new Error('auth backend down');
      },
    });
    const error = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'error')));
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'c1', apiKey: 'k' });
    expect((await client.closed).code).toBe(CloseCode.INTERNAL_ERROR);
    expect(await error).toMatchObject({
      type: 'error',
      error: expect.objectContaining({ message: 'auth backend down' }),
    });
  });

  it('processes frames sent right behind the connect, after authentication', async () => {
    let release: ((principal: string) => void) | undefined;
    const { server, url } = await start({
      authenticate: () => new Promise<string>((resolve) => (release = resolve)),
    });
    server.handle('X', (payload) => payload);
    const client = await RawClient.open(url);
    client.send({ type: 'connect', v: 1, clientId: 'c1' });
    client.message('m1', 'X', 1);
    client.message('m2', 'X', 2);
    // Wait until the server is in the authenticator before letting it answer.
    await withTimeout(
      new Promise<void>((resolve) => {
        const poll = (): void => (release ? resolve() : void setImmediate(poll));
        poll();
      }),
      2000,
      'authenticate call',
    );
    release!('bob');
    expect(await client.next()).toMatchObject({ type: 'connect', sessionId: expect.any(String) });
    expect(await client.next((e) => e.type === 'ack' && e.id === 'm1')).toMatchObject({ response: 1 });
    expect(await client.next((e) => e.type === 'ack' && e.id === 'm2')).toMatchObject({ response: 2 });
    await client.close();
  });

  it('replaces the older connection of the same (principal, clientId) with 4003', async () => {
    const { server, url } = await start({ apiKeys: ['k1'] });
    const first = await RawClient.connect(url, 'c1', 'k1');
    const second = await RawClient.connect(url, 'c1', 'k1');
    expect((await first.closed).code).toBe(CloseCode.SESSION_REPLACED);
    server.handle('X', () => 'second');
    second.message('m1', 'X');
    expect(await second.next((e) => e.type === 'ack')).toMatchObject({ id: 'm1', response: 'second' });
    expect(server.stats().sessions).toBe(1);
    expect(server.send('c1', 'PUSH', 1)).toBe(true);
    expect(await second.next((e) => e.type === 'data')).toMatchObject({ name: 'PUSH', payload: 1 });
    await second.close();
  });

  it('keeps sessions of the same clientId under different principals apart', async () => {
    const { server, url } = await start({ apiKeys: ['k1', 'k2'] });
    const a = await RawClient.connect(url, 'c1', 'k1');
    const b = await RawClient.connect(url, 'c1', 'k2');
    expect(server.stats().sessions).toBe(2);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    await Promise.all([a.close(), b.close()]);
  });
});

// The module object itself (not an ES namespace copy), so its functions can be spied on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto: typeof import('node:crypto') = require('node:crypto');

describe('ApiKeyAuthenticator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('returns a stable principal derived from the key, never the key itself', () => {
    const auth = new ApiKeyAuthenticator(['secret-1', 'secret-2']);
    const principal = auth.verify('secret-2');
    expect(principal).toMatch(/^key:[0-9a-f]{16}$/);
    expect(principal).not.toContain('secret');
    expect(new ApiKeyAuthenticator(['secret-2']).verify('secret-2')).toBe(principal);
    expect(auth.verify('secret-1')).not.toBe(principal);
    expect(auth.verify('secret-3')).toBeNull();
    expect(auth.verify(undefined)).toBeNull();
    expect(auth.verify('')).toBeNull();
  });

  it('compares in constant time: timingSafeEqual on equal-length hashes, against every key, match or not', () => {
    const spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    const auth = new ApiKeyAuthenticator(['a', 'a-much-longer-key', 'ccc']);
    for (const candidate of ['a', 'ccc', 'nope', 'a-much-longer-key-plus']) {
      spy.mockClear();
      auth.verify(candidate);
      expect(spy).toHaveBeenCalledTimes(3);
      for (const [left, right] of spy.mock.calls) {
        expect((left as Buffer).length).toBe(32);
        expect((right as Buffer).length).toBe(32);
      }
    }
  });

  it('is what the server uses for apiKeys', async () => {
    const spy = jest.spyOn(nodeCrypto, 'timingSafeEqual');
    const { url } = await start({ apiKeys: ['k1', 'k2'] });
    const client = await RawClient.connect(url, 'c1', 'k2');
    expect(spy).toHaveBeenCalledTimes(2);
    await client.close();
  });
});
