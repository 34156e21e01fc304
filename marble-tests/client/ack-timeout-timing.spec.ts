import { AckTimeoutError, type DeliveryResult } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';

const QUIET = { heartbeatInterval: 60_000, heartbeatTimeout: 30_000 };

describe('ReliableWebSocketClient ack timeout and resend timing', () => {
  it('resends the same id every messageTimeout, then settles with AckTimeoutError after maxRetries resends', async () => {
    const f = clientFixture({ ...QUIET, messageTimeout: 1000, maxRetries: 2 });
    f.server.behaviour.ackData = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(100);
    await connected;
    let settled: [number, DeliveryResult] | undefined;
    void f.client
      .sendWithAcknowledgement({ type: 'ORDER', payload: 1 })
      .then((r) => (settled = [f.clock.now(), r]));
    await f.clock.advanceTo(10_000);

    const sends = f.server.dataFrames();
    expect(sends.map((s) => s.at)).toEqual([100, 1100, 2100]);
    expect(new Set(sends.map((s) => s.id)).size).toBe(1);
    expect(settled![0]).toBe(3100);
    expect(settled![1]).toMatchObject({ acknowledged: false, attempts: 3 });
    expect(settled![1].error).toBeInstanceOf(AckTimeoutError);
    expect(f.timeline('messageFailed', (d) => d.attempts)).toEqual([[3100, 3]]);
    expect(f.client.getStats()).toMatchObject({
      messagesSent: 3,
      messagesRetried: 2,
      messagesFailed: 1,
      queueSize: 0,
    });
    await f.close();
  });

  it('an ack after the first resend settles it: no third send, latency measured from the first send', async () => {
    const f = clientFixture({ ...QUIET, messageTimeout: 1000, maxRetries: 5 });
    f.server.behaviour.ackData = false;
    f.server.behaviour.latency = 10;
    const connected = f.client.connect();
    await f.clock.advanceTo(20);
    await connected;
    const result = f.client.sendWithAcknowledgement({ type: 'ORDER', payload: 1 });
    await f.clock.advanceTo(1500);
    f.server.behaviour.ackData = true;
    await f.clock.advanceTo(1500); // the server acks what arrives from now on
    await f.clock.advanceTo(2500);
    expect(f.server.dataFrames().map((s) => s.at)).toEqual([20, 1020, 2020]);
    expect(await result).toMatchObject({ acknowledged: true, attempts: 3, latency: 2030 - 20 });
    await f.close();
  });

  it('resends in-flight messages first on reconnect, without counting it as a retry', async () => {
    const f = clientFixture({
      ...QUIET,
      messageTimeout: 1000,
      maxRetries: 1,
      reconnectInterval: 300,
      backoff: { jitter: 'none' },
    });
    f.server.behaviour.ackData = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    const first = f.client.sendWithAcknowledgement({ type: 'ORDER', payload: 'a' });
    await f.clock.advanceTo(500);
    f.server.sockets[0]!.drop();
    await f.clock.advanceTo(700);
    const second = f.client.sendWithAcknowledgement({ type: 'ORDER', payload: 'b' });
    await f.clock.advanceTo(700);
    f.server.behaviour.ackData = true;
    await f.clock.advanceTo(1000);
    // 'a' went out at 0, the link dropped at 500; both go out at the reconnect (800), 'a' first.
    const sends = f.server.dataFrames();
    expect(sends.map((s) => s.at)).toEqual([0, 800, 800]);
    expect(sends[1]!.id).toBe(sends[0]!.id);
    // A resend caused by a reconnect does not use up one of the message's retries.
    expect(await first).toMatchObject({ acknowledged: true, attempts: 1 });
    expect(await second).toMatchObject({ acknowledged: true, attempts: 1 });
    await f.close();
  });
});
