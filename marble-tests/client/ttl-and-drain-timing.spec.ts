import { MessageExpiredError, MessagePriority, type DeliveryResult } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';

const QUIET = { heartbeatInterval: 60_000, heartbeatTimeout: 30_000 };

describe('ReliableWebSocketClient TTL and queue drain timing', () => {
  it('expires queued messages at exactly their TTL while disconnected', async () => {
    const f = clientFixture(QUIET);
    const settled: Array<[number, DeliveryResult]> = [];
    const record = (r: DeliveryResult): number => settled.push([f.clock.now(), r]);
    void f.client.sendWithAcknowledgement({ type: 'QUOTE', payload: 1 }, { ttl: 300 }).then(record);
    void f.client.sendWithAcknowledgement({ type: 'QUOTE', payload: 2 }, { ttl: 750 }).then(record);
    void f.client.sendWithAcknowledgement({ type: 'QUOTE', payload: 3 }, { ttl: 5000 }).then(record);
    await f.clock.advanceTo(1000);

    expect(settled.map(([at, r]) => [at, r.acknowledged])).toEqual([
      [300, false],
      [750, false],
    ]);
    expect(settled[0]![1].error).toBeInstanceOf(MessageExpiredError);
    expect(f.timeline('messageExpired', (d) => d.attempts)).toEqual([
      [300, 0],
      [750, 0],
    ]);
    expect(f.client.getStats()).toMatchObject({ queueSize: 1, messagesExpired: 2, messagesSent: 0 });
    await f.close();
  });

  it('a message in flight expires at its TTL too (no ack), not at the next ack timeout', async () => {
    const f = clientFixture({ ...QUIET, messageTimeout: 1000, maxRetries: 10 });
    f.server.behaviour.ackData = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    let settled: [number, DeliveryResult] | undefined;
    void f.client
      .sendWithAcknowledgement({ type: 'QUOTE' }, { ttl: 2500 })
      .then((r) => (settled = [f.clock.now(), r]));
    await f.clock.advanceTo(5000);
    expect(f.server.dataFrames().map((s) => s.at)).toEqual([0, 1000, 2000]);
    expect(settled![0]).toBe(2500);
    expect(settled![1].error).toBeInstanceOf(MessageExpiredError);
    await f.close();
  });

  it('drains the queue in one batch when the state turns connected: priority first, FIFO within one', async () => {
    const f = clientFixture({ ...QUIET });
    f.server.behaviour.latency = 10;
    await f.client.send({ type: 'LOW', payload: 1 }, { priority: MessagePriority.LOW });
    await f.client.send({ type: 'NORMAL', payload: 1 });
    await f.client.send({ type: 'CRITICAL', payload: 1 }, { priority: MessagePriority.CRITICAL });
    await f.client.send({ type: 'NORMAL', payload: 2 });
    await f.clock.advanceTo(100);
    expect(f.server.frames).toEqual([]);

    const connected = f.client.connect();
    await f.clock.advanceTo(200);
    await connected;
    // open at 110, hello at 110, welcome at 120: the queue drains at 120, in one frame.
    expect(f.states.filter(([at]) => at >= 100)).toEqual([
      [100, 'connecting'],
      [120, 'connected'],
    ]);
    const dataFrames = f.server.frames.filter((fr) => fr.envelopes.some((e) => e['type'] === 'data'));
    expect(dataFrames).toHaveLength(1);
    expect(dataFrames[0]!.at).toBe(120);
    expect(dataFrames[0]!.envelopes.map((e) => [e['name'], e['payload']])).toEqual([
      ['CRITICAL', 1],
      ['NORMAL', 1],
      ['NORMAL', 2],
      ['LOW', 1],
    ]);
    await f.clock.advanceTo(200);
    expect(f.client.getStats()).toMatchObject({ queueSize: 0, messagesAcknowledged: 4 });
    await f.close();
  });
});
