import { clientFixture, type ClientFixture } from './helpers/client-fixture';

const QUIET = { heartbeatInterval: 60_000, heartbeatTimeout: 30_000 };
const STREAM = 'principal:alice';

/** A connected client whose fake server speaks streams: NEW at seq 0 of epoch e1. */
async function connected(options = {}): Promise<ClientFixture> {
  const f = clientFixture({ ...QUIET, ...options });
  f.server.behaviour.streams = () => [{ stream: STREAM, epoch: 'e1', seq: 0, resumed: false, reason: 'NEW' }];
  const connecting = f.client.connect();
  await f.clock.advanceTo(0);
  await connecting;
  return f;
}

const push = (f: ClientFixture, seq: number): void =>
  f.server.sockets
    .at(-1)!
    .push({ type: 'stream', stream: STREAM, epoch: 'e1', seq, name: 'FILL', payload: seq });

/** `[time, seq]` of every stream_ack the client wrote. */
const acks = (f: ClientFixture): Array<[number, number]> =>
  f.server.frames.flatMap((frame) =>
    frame.envelopes
      .filter((e) => e['type'] === 'stream_ack')
      .map((e) => [frame.at, e['seq'] as number] as [number, number]),
  );

describe('ReliableWebSocketClient inbound stream ack timing', () => {
  it('acks cumulatively 100 ms after the first unacked message, not once per message', async () => {
    const f = await connected();
    await f.clock.advanceTo(10);
    for (let seq = 1; seq <= 5; seq++) push(f, seq);
    await f.clock.advanceTo(50);
    push(f, 6);
    await f.clock.advanceTo(300);
    expect(acks(f)).toEqual([[110, 6]]);
    await f.close();
  });

  it('acks at once once 100 messages are pending, counting every message of a batch', async () => {
    const f = await connected();
    await f.clock.advanceTo(10);
    for (let seq = 1; seq <= 60; seq++) push(f, seq);
    await f.clock.advanceTo(20);
    for (let seq = 61; seq <= 130; seq++) push(f, seq);
    await f.clock.advanceTo(30);
    for (let seq = 131; seq <= 140; seq++) push(f, seq);
    await f.clock.advanceTo(400);
    expect(acks(f)).toEqual([
      [20, 130],
      [130, 140],
    ]);
    await f.close();
  });

  it("sends no ack before commit() in ackMode 'manual'; commit acks within 100 ms", async () => {
    const f = await connected({ ackMode: 'manual' });
    const got: number[] = [];
    f.client.messages$.subscribe((m) => got.push(m.seq!));
    await f.clock.advanceTo(10);
    for (let seq = 1; seq <= 3; seq++) push(f, seq);
    await f.clock.advanceTo(500);
    expect(got).toEqual([1, 2, 3]);
    expect(acks(f)).toEqual([]);
    await f.client.commit({ type: 'FILL', payload: 2, id: undefined, stream: STREAM, seq: 2, epoch: 'e1' });
    const at = f.clock.now();
    await f.clock.advanceTo(at + 200);
    expect(acks(f)).toEqual([[at + 100, 2]]);
    await f.close();
  });

  it('against a server without streams: sends no stream_ack and emits nothing reliable', async () => {
    const f = clientFixture(QUIET);
    const connecting = f.client.connect();
    await f.clock.advanceTo(0);
    await connecting;
    const hello = f.server.frames[0]!.envelopes[0]!;
    expect(hello).toMatchObject({ type: 'connect', streams: [] });
    push(f, 1);
    await f.clock.advanceTo(500);
    expect(acks(f)).toEqual([]);
    expect(f.client.getStats().inboundReceived).toBe(0);
    await f.close();
  });
});
