import { firstValueFrom, filter, toArray, takeWhile } from 'rxjs';
import { ReliableWebSocketServer } from '../../src/server/index';
import { ValidationError } from '../../src/protocol/errors';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

describe('ReliableWebSocketServer messages', () => {
  it('puts the handler result in the ack and passes payload and context', async () => {
    const { server, url } = await start();
    const calls: unknown[] = [];
    server.handle('TRADE_SIGNAL', (payload, ctx) => {
      calls.push([payload, ctx]);
      return { orderId: 'o1', status: 'accepted' };
    });
    const client = await RawClient.connect(url, 'c1');
    client.send({ type: 'command', id: 'm1', name: 'TRADE_SIGNAL', payload: { symbol: 'EURUSD' } });
    expect(await client.next()).toEqual({
      type: 'ack',
      id: 'm1',
      response: { orderId: 'o1', status: 'accepted' },
    });
    expect(calls).toEqual([
      [
        { symbol: 'EURUSD' },
        {
          clientId: 'c1',
          principal: 'anonymous',
          messageId: 'm1',
          sessionId: expect.any(String),
          name: 'TRADE_SIGNAL',
        },
      ],
    ]);
    await client.close();
  });

  it('awaits an async handler and keeps a null response', async () => {
    const { server, url } = await start();
    server.handle('ASYNC', async () => null);
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'ASYNC');
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: null });
    await client.close();
  });

  it('batches acks without a response finished in the same tick into one ids ack', async () => {
    const { server, url } = await start();
    server.handle('VOID', () => undefined);
    const client = await RawClient.connect(url, 'c1');
    const framesBefore = client.frames.length;
    client.send([1, 2, 3].map((n) => ({ type: 'data', id: `m${n}`, name: 'VOID' })));
    expect(await client.next()).toEqual({ type: 'ack', ids: ['m1', 'm2', 'm3'] });
    expect(client.frames.length).toBe(framesBefore + 1);
    client.message('m4', 'VOID');
    expect(await client.next()).toEqual({ type: 'ack', id: 'm4' });
    await client.close();
  });

  it('answers a batch frame of many messages in one frame per tick', async () => {
    const { server, url } = await start();
    server.handle('N', (payload) => ((payload as number) % 2 === 0 ? { even: payload } : undefined));
    const client = await RawClient.connect(url, 'c1');
    const ids = Array.from({ length: 500 }, (_, i) => `m${i}`);
    client.send(ids.map((id, i) => ({ type: 'data', id, name: 'N', payload: i })));
    const acks = await client.acks(ids);
    const withResponse = acks.filter((a) => 'response' in a);
    expect(withResponse).toHaveLength(250);
    expect(withResponse[0]).toEqual({ type: 'ack', id: 'm0', response: { even: 0 } });
    expect(acks.find((a) => a.ids)).toEqual({ type: 'ack', ids: ids.filter((_, i) => i % 2 === 1) });
    expect(client.frames.length).toBe(2); // welcome, then every answer in one array frame
    expect(server.stats()).toMatchObject({ messagesReceived: 500, messagesHandled: 500 });
    await client.close();
  });

  it("turns a throw into a nack carrying the error's code and message", async () => {
    const { server, url } = await start();
    server.handle('BAD', () => {
      throw new ValidationError('volume must be positive', 'volume');
    });
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'BAD');
    expect(await client.next()).toEqual({
      type: 'nack',
      id: 'm1',
      code: 'VALIDATION_ERROR',
      message: 'volume must be positive',
    });
    expect(server.stats().nacks).toBe(1);
    await client.close();
  });

  it('uses HANDLER_ERROR for a rejection without a string code, and survives odd thrown values', async () => {
    const { server, url } = await start();
    server.handle('REJECT', async () => Promise.reject(new Error('db down')));
    server.handle('THROW_STRING', () => {
      throw 'plain string';
    });
    server.handle('THROW_HOSTILE', () => {
      throw {
        get code(): string {
          throw new Error('getter');
        },
      };
    });
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'REJECT');
    client.message('m2', 'THROW_STRING');
    client.message('m3', 'THROW_HOSTILE');
    expect(await client.next((e) => e.id === 'm1')).toEqual({
      type: 'nack',
      id: 'm1',
      code: 'HANDLER_ERROR',
      message: 'db down',
    });
    expect(await client.next((e) => e.id === 'm2')).toEqual({
      type: 'nack',
      id: 'm2',
      code: 'HANDLER_ERROR',
      message: 'plain string',
    });
    expect(await client.next((e) => e.id === 'm3')).toMatchObject({
      type: 'nack',
      id: 'm3',
      code: 'HANDLER_ERROR',
    });
    await client.close();
  });

  it('nacks UNKNOWN_MESSAGE_TYPE for a name without a handler', async () => {
    const { url } = await start();
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'NOPE');
    expect(await client.next()).toEqual({
      type: 'nack',
      id: 'm1',
      code: 'UNKNOWN_MESSAGE_TYPE',
      message: expect.stringContaining('NOPE'),
    });
    await client.close();
  });

  it('nacks RESPONSE_NOT_SERIALIZABLE and still sends the rest of the batch', async () => {
    const { server, url } = await start();
    server.handle('BIG', () => BigInt(1));
    server.handle('OK', () => 'fine');
    const client = await RawClient.connect(url, 'c1');
    client.send([
      { type: 'data', id: 'm1', name: 'BIG' },
      { type: 'data', id: 'm2', name: 'OK' },
    ]);
    expect(await client.next((e) => e.id === 'm1')).toMatchObject({
      type: 'nack',
      code: 'RESPONSE_NOT_SERIALIZABLE',
    });
    expect(await client.next((e) => e.id === 'm2')).toEqual({ type: 'ack', id: 'm2', response: 'fine' });
    await client.close();
  });

  it('echoes a heartbeat with the same ts', async () => {
    const { url } = await start();
    const client = await RawClient.connect(url, 'c1');
    client.send({ type: 'heartbeat', ts: 123.5 });
    expect(await client.next()).toEqual({ type: 'heartbeat_ack', ts: 123.5 });
    await client.close();
  });

  it('closes 1000 on a disconnect envelope and reports the disconnect', async () => {
    const { server, url } = await start();
    const disconnect = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'disconnect')));
    const client = await RawClient.connect(url, 'c1');
    client.send({ type: 'disconnect' });
    expect((await client.closed).code).toBe(1000);
    expect(await disconnect).toMatchObject({
      type: 'disconnect',
      clientId: 'c1',
      principal: 'anonymous',
      code: 1000,
    });
    expect(server.stats()).toMatchObject({ sessions: 0 });
  });

  it('ignores envelopes a server has no use for, and nacks a second connect', async () => {
    const { server, url } = await start();
    server.handle('X', () => 1);
    const client = await RawClient.connect(url, 'c1');
    client.send([
      { type: 'ack', id: 'whatever' },
      { type: 'heartbeat_ack', ts: 1 },
      { type: 'connect', v: 1, clientId: 'c1' },
      { type: 'data', id: 'm1', name: 'X' },
    ]);
    const first = await client.next();
    expect(first).toMatchObject({ type: 'nack', code: 'PROTOCOL_ERROR' });
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: 1 });
    await client.close();
  });

  it('emits a message event per app message', async () => {
    const { server, url } = await start();
    server.handle('X', () => undefined);
    const events = firstValueFrom(
      server.events$.pipe(
        filter((e) => e.type === 'message'),
        takeWhile((e) => e.type === 'message' && e.messageId !== 'm2', true),
        toArray(),
      ),
    );
    const client = await RawClient.connect(url, 'c1');
    client.send([
      { type: 'data', id: 'm1', name: 'X' },
      { type: 'data', id: 'm2', name: 'X' },
    ]);
    expect(await events).toEqual([
      { type: 'message', clientId: 'c1', principal: 'anonymous', messageId: 'm1', name: 'X' },
      { type: 'message', clientId: 'c1', principal: 'anonymous', messageId: 'm2', name: 'X' },
    ]);
    await client.close();
  });

  it('refuses a second handler for the same name and bad handler arguments', async () => {
    const server = new ReliableWebSocketServer();
    server.handle('X', () => 1);
    expect(() => server.handle('X', () => 2)).toThrow(TypeError);
    expect(() => server.handle('', () => 2)).toThrow(TypeError);
    expect(() => server.handle('Y', 'nope' as never)).toThrow(/handler/);
    await server.close();
  });
});
