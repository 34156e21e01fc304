import {
  MAX_UNACKED,
  MemoryInboundLog,
  PublishError,
  ReliableWebSocketServer,
  type InboundLog,
} from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();
const authenticate = (key: string | undefined): string | null =>
  key === 'a' ? 'alice' : key === 'b' ? 'bob' : null;

/** Opens a socket and sends a hello offering streams with these cursors; resolves with the client and the welcome. */
async function hello(url: string, clientId: string, apiKey: string, streams: unknown[] = []) {
  const client = await RawClient.open(url);
  client.send({ type: 'connect', v: 1, clientId, apiKey, streams });
  const welcome = await client.next((e) => e.type === 'connect' || e.type === 'nack');
  return { client, welcome };
}

const seqsOf = (envelopes: readonly any[]): number[] =>
  envelopes.filter((e) => e.type === 'stream').map((e) => e.seq as number);

/** Every stream frame up to `seq` of a client (consumed), in arrival order. */
async function framesUntil(client: RawClient, seq: number): Promise<any[]> {
  const out: any[] = [];
  while (out.length === 0 || out[out.length - 1].seq < seq)
    out.push(await client.next((e) => e.type === 'stream', `stream frame up to ${seq}`));
  return out;
}

describe('ReliableWebSocketServer reliable streams', () => {
  it('leaves a v1 hello alone: no verdicts, no stream frames', async () => {
    const { server, url } = await start({ authenticate });
    const client = await RawClient.open(url);
    const welcome = await client.hello('desk-1', 'a');
    expect(welcome.streams).toBeUndefined();
    await server.publish('principal:alice', 'FILL', 1);
    client.send({ type: 'heartbeat', ts: 1 });
    await client.next((e) => e.type === 'heartbeat_ack');
    expect(client.pending.filter((e) => e.type === 'stream')).toEqual([]);
    await client.close();
  });

  it('subscribes a session to its principal stream: NEW at the head, then live frames with stream, seq, epoch', async () => {
    const { server, url } = await start({ authenticate });
    await server.publish('principal:alice', 'OLD', 0);
    const { client, welcome } = await hello(url, 'desk-1', 'a');
    expect(welcome.streams).toEqual([
      { stream: 'principal:alice', epoch: expect.any(String), seq: 1, resumed: false, reason: 'NEW' },
    ]);
    expect(await server.publish('principal:alice', 'FILL', { qty: 2 })).toEqual({
      stream: 'principal:alice',
      seq: 2,
    });
    expect(await client.next((e) => e.type === 'stream')).toEqual({
      type: 'stream',
      stream: 'principal:alice',
      epoch: welcome.streams[0].epoch,
      seq: 2,
      name: 'FILL',
      payload: { qty: 2 },
    });
    await client.close();
  });

  it('resumes after a cursor: replays what came after it, in order, before anything live', async () => {
    const { server, url } = await start({ authenticate });
    const first = await hello(url, 'desk-1', 'a');
    const epoch = first.welcome.streams[0].epoch;
    await first.client.close();
    for (let i = 1; i <= 5; i++) await server.publish('principal:alice', 'FILL', i);
    const { client, welcome } = await hello(url, 'desk-1', 'a', [
      { stream: 'principal:alice', epoch, seq: 2 },
    ]);
    expect(welcome.streams).toEqual([{ stream: 'principal:alice', epoch, seq: 2, resumed: true }]);
    void server.publish('principal:alice', 'LIVE', 6);
    const frames = await framesUntil(client, 6);
    expect(seqsOf(frames)).toEqual([3, 4, 5, 6]);
    expect(frames.map((f) => f.payload)).toEqual([3, 4, 5, 6]);
    await client.close();
  });

  it('says WINDOW_EXCEEDED for a cursor older than the retention, and replays what is left', async () => {
    const { server, url } = await start({ authenticate, inboundRetention: { maxMessages: 3 } });
    const first = await hello(url, 'desk-1', 'a');
    const epoch = first.welcome.streams[0].epoch;
    await first.client.close();
    for (let i = 1; i <= 10; i++) await server.publish('principal:alice', 'FILL', i);
    const { client, welcome } = await hello(url, 'desk-1', 'a', [
      { stream: 'principal:alice', epoch, seq: 2 },
    ]);
    expect(welcome.streams).toEqual([
      { stream: 'principal:alice', epoch, seq: 7, resumed: false, reason: 'WINDOW_EXCEEDED' },
    ]);
    expect(seqsOf(await framesUntil(client, 10))).toEqual([8, 9, 10]);
    await client.close();
  });

  it('says EPOCH_CHANGED for a cursor of another life of the log, and CURSOR_AHEAD past its head', async () => {
    const { server, url } = await start({ authenticate });
    await server.publish('principal:alice', 'FILL', 1);
    const lost = await hello(url, 'desk-1', 'a', [
      { stream: 'principal:alice', epoch: 'before-restart', seq: 40 },
    ]);
    expect(lost.welcome.streams[0]).toMatchObject({ seq: 0, resumed: false, reason: 'EPOCH_CHANGED' });
    expect(seqsOf(await framesUntil(lost.client, 1))).toEqual([1]);
    const epoch = lost.welcome.streams[0].epoch;
    await lost.client.close();
    const ahead = await hello(url, 'desk-1', 'a', [{ stream: 'principal:alice', epoch, seq: 9 }]);
    expect(ahead.welcome.streams[0]).toMatchObject({ seq: 1, resumed: false, reason: 'CURSOR_AHEAD' });
    await ahead.client.close();
  });

  it('never delivers one principal stream to another principal with the same clientId', async () => {
    const { server, url } = await start({ authenticate });
    const alice = await hello(url, 'desk-1', 'a');
    const bob = await hello(url, 'desk-1', 'b', [
      { stream: 'principal:alice', epoch: alice.welcome.streams[0].epoch, seq: 0 },
    ]);
    expect(bob.welcome.streams.map((v: any) => v.stream)).toEqual(['principal:bob']);
    await server.publish('principal:alice', 'FILL', 'for alice');
    await server.publish('principal:bob', 'FILL', 'for bob');
    expect((await alice.client.next((e) => e.type === 'stream')).payload).toBe('for alice');
    expect((await bob.client.next((e) => e.type === 'stream')).payload).toBe('for bob');
    expect(alice.client.pending.concat(bob.client.pending).filter((e) => e.type === 'stream')).toEqual([]);
    await Promise.all([alice.client.close(), bob.client.close()]);
  });

  it('sends the streams the `streams` option names, each with its own verdict', async () => {
    const { server, url } = await start({
      authenticate,
      streams: (s) => ['principal:' + s.principal, 'desk:' + s.clientId],
    });
    const { client, welcome } = await hello(url, 'desk-1', 'a');
    expect(welcome.streams.map((v: any) => v.stream)).toEqual(['principal:alice', 'desk:desk-1']);
    await server.publish('desk:desk-1', 'NOTE', 'x');
    expect(await client.next((e) => e.type === 'stream')).toMatchObject({ stream: 'desk:desk-1', seq: 1 });
    await client.close();
  });

  it(`stops at ${MAX_UNACKED} unacked messages, goes on after a cumulative ack`, async () => {
    const { server, url } = await start({ authenticate });
    const { client, welcome } = await hello(url, 'desk-1', 'a');
    const epoch = welcome.streams[0].epoch;
    const total = MAX_UNACKED + 50;
    await Promise.all(Array.from({ length: total }, (_, i) => server.publish('principal:alice', 'N', i)));
    const first = await framesUntil(client, MAX_UNACKED);
    expect(first).toHaveLength(MAX_UNACKED);
    client.send({ type: 'heartbeat', ts: 1 });
    await client.next((e) => e.type === 'heartbeat_ack');
    expect(client.pending.filter((e) => e.type === 'stream')).toEqual([]);
    client.send({ type: 'stream_ack', stream: 'principal:alice', epoch, seq: MAX_UNACKED });
    expect(seqsOf(await framesUntil(client, total))).toEqual(
      Array.from({ length: 50 }, (_, i) => MAX_UNACKED + 1 + i),
    );
    await client.close();
  });

  it('announces a reset mid-session when retention passed a session that fell behind', async () => {
    const { server, url } = await start({ authenticate, inboundRetention: { maxMessages: 100 } });
    const { client, welcome } = await hello(url, 'desk-1', 'a');
    const epoch = welcome.streams[0].epoch;
    for (let i = 1; i <= MAX_UNACKED; i++) void server.publish('principal:alice', 'N', i);
    await framesUntil(client, MAX_UNACKED);
    for (let i = 1; i <= 300; i++) await server.publish('principal:alice', 'N', MAX_UNACKED + i);
    client.send({ type: 'stream_ack', stream: 'principal:alice', epoch, seq: MAX_UNACKED });
    const reset = await client.next((e) => e.type === 'stream_reset');
    expect(reset).toEqual({
      type: 'stream_reset',
      stream: 'principal:alice',
      epoch,
      seq: MAX_UNACKED + 200,
      reason: 'WINDOW_EXCEEDED',
    });
    expect(seqsOf(await framesUntil(client, MAX_UNACKED + 300))[0]).toBe(MAX_UNACKED + 201);
    await client.close();
  });

  it('publish rejects with PublishError when the log fails, and TypeError for bad arguments', async () => {
    const broken: InboundLog = Object.assign(new MemoryInboundLog(), {
      append: () => Promise.reject(new Error('disk full')),
    });
    const { server } = await start({ authenticate, inboundLog: broken });
    await expect(server.publish('principal:alice', 'FILL', 1)).rejects.toBeInstanceOf(PublishError);
    await expect(server.publish('principal:alice', 'FILL', 1)).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      stream: 'principal:alice',
    });
    await expect(server.publish('', 'FILL')).rejects.toThrow(TypeError);
    await expect(server.publish('s', 'FILL', { n: BigInt(1) })).rejects.toThrow(TypeError);
  });

  it('refuses inboundRetention together with a custom inboundLog', () => {
    expect(
      () =>
        new ReliableWebSocketServer({
          inboundLog: new MemoryInboundLog(),
          inboundRetention: { maxMessages: 1 },
        }),
    ).toThrow(/inboundRetention/);
  });
});
