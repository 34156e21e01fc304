import { ConnectionError, ReliableWebSocketClient } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';
import { marbleTimeline } from './helpers/virtual-clock';

const NO_JITTER = { multiplier: 2, jitter: 'none' } as const;

describe('ReliableWebSocketClient reconnectTimeout', () => {
  it('gives up when the time budget runs out, whatever attempts remain (maxReconnectAttempts: Infinity)', async () => {
    const f = clientFixture({
      reconnectInterval: 1000,
      maxReconnectAttempts: Infinity,
      reconnectTimeout: 5000,
      backoff: NO_JITTER,
    });
    f.server.behaviour.refuse = true;
    const connected = f.client.connect().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await f.clock.advanceTo(20_000);

    // Fails at 0 (the budget starts), retries at 1000 and 3000; the next one would be at 7000.
    expect(f.server.attempts.map((at, i) => [at, i])).toEqual(
      marbleTimeline('a 999ms b 1999ms c', { a: 0, b: 1, c: 2 }),
    );
    expect(f.states.at(-1)).toEqual([5000, 'error']);
    const error = (await connected) as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/within reconnectTimeout \(5000 ms\): Closed with 1006/);
    expect(error.cause).toBeInstanceOf(ConnectionError);
    await f.close();
  });

  it('the attempt count still ends it first when it runs out sooner', async () => {
    const f = clientFixture({
      reconnectInterval: 1000,
      maxReconnectAttempts: 2,
      reconnectTimeout: 60_000,
      backoff: NO_JITTER,
    });
    f.server.behaviour.refuse = true;
    const connected = f.client.connect().catch((error: unknown) => error);
    await f.clock.advanceTo(70_000);
    expect(f.server.attempts).toEqual([0, 1000, 3000]);
    expect(f.states.at(-1)).toEqual([3000, 'error']);
    expect(((await connected) as Error).message).toMatch(/after 2 attempt\(s\)/);
    await f.close();
  });

  it('counts from the loss of a working link, and cuts the attempt still in progress at the deadline', async () => {
    const f = clientFixture({
      reconnectInterval: 100,
      maxReconnectAttempts: 10,
      reconnectTimeout: 1500,
      connectTimeout: 10_000,
      heartbeatInterval: 5000,
      heartbeatTimeout: 1000,
      backoff: NO_JITTER,
    });
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    await f.clock.advanceTo(1000);
    f.server.behaviour.latency = 100_000; // new sockets never open
    f.server.sockets[0]!.drop();
    await f.clock.advanceTo(5000);

    //  lost at 1000, retry at 1100 hangs; the budget ends at 1000 + 1500
    expect(f.server.attempts).toEqual([0, 1100]);
    expect(f.server.sockets[1]!.closedWith?.at).toBe(2500);
    expect(f.states.slice(-2)).toEqual([
      [1000, 'reconnecting'],
      [2500, 'error'],
    ]);
    await f.close();
  });

  it('a connection that proved stable starts a fresh budget for the next loss', async () => {
    const f = clientFixture({
      reconnectInterval: 100,
      maxReconnectAttempts: Infinity,
      reconnectTimeout: 1000,
      heartbeatInterval: 500,
      heartbeatTimeout: 400,
      backoff: { multiplier: 1, jitter: 'none' },
    });
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    await f.clock.advanceTo(600); // stable at 500
    // Lost at 600 while the server refuses; back at 1100 (before that budget's end, 1600), stable at 1600.
    f.server.behaviour.refuse = true;
    f.server.sockets[0]!.drop();
    await f.clock.advanceTo(1049);
    f.server.behaviour.refuse = false;
    await f.clock.advanceTo(1700);
    f.server.behaviour.refuse = true;
    f.server.sockets.at(-1)!.drop();
    await f.clock.advanceTo(5000);

    expect(f.timeline('open', (d) => d.sessionId).map(([at]) => at)).toEqual([0, 1100]);
    // The second loss (at 1700) gets the whole budget again: error at 1700 + 1000, not at once.
    expect(f.states.at(-1)).toEqual([2700, 'error']);
    await f.close();
  });

  it('accepts Infinity (the default) and refuses 0, negatives and non-numbers', () => {
    const make = (reconnectTimeout: unknown) => () =>
      new ReliableWebSocketClient('ws://fake.test', {
        enablePersistence: false,
        WebSocketCtor: class {} as never,
        reconnectTimeout: reconnectTimeout as number,
      });
    expect(make(Infinity)).not.toThrow();
    for (const bad of [0, -1, NaN, '1000'])
      expect(make(bad)).toThrow(/reconnectTimeout must be a positive number of ms or Infinity/);
  });
});
