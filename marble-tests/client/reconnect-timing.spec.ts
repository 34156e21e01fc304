import { ConnectionError } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';
import { marbleTimeline } from './helpers/virtual-clock';

describe('ReliableWebSocketClient reconnection timing', () => {
  it('retries after full-jitter delays drawn from the seeded random, capped by backoff.maxInterval, then gives up', async () => {
    const draws = [0.5, 0.25, 0.75, 0.9];
    const f = clientFixture({
      reconnectInterval: 1000,
      maxReconnectAttempts: 4,
      backoff: { multiplier: 2, maxInterval: 3000, jitter: 'full', random: () => draws.shift()! },
    });
    f.server.behaviour.refuse = true;
    const connected = f.client.connect().then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await f.clock.advanceTo(20_000);

    // delays: 0.5 * 1000, 0.25 * 2000, 0.75 * min(4000, 3000), 0.9 * min(8000, 3000)
    expect(f.timeline('reconnecting', (d) => [d.attempt, d.delay])).toEqual([
      [0, [1, 500]],
      [500, [2, 500]],
      [1000, [3, 2250]],
      [3250, [4, 2700]],
    ]);
    //                                     socket attempts:  a at 0, b at 500, c at 1000, d at 3250, e at 5950
    expect(f.server.attempts.map((at, i) => [at, i])).toEqual(
      marbleTimeline('a 499ms b 499ms c 2249ms d 2699ms e', { a: 0, b: 1, c: 2, d: 3, e: 4 }),
    );
    expect(f.states.at(-1)).toEqual([5950, 'error']);
    expect(await connected).toBeInstanceOf(ConnectionError);
    await f.close();
  });

  it('waits exactly reconnectInterval * multiplier^n without jitter, and resets the backoff once a connection proved stable', async () => {
    const f = clientFixture({
      reconnectInterval: 100,
      maxReconnectAttempts: 10,
      heartbeatInterval: 1000,
      heartbeatTimeout: 500,
      backoff: { multiplier: 3, jitter: 'none' },
    });
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    // Stable (one heartbeat interval up) at 1000; dropped at 2000 while the server refuses for a while.
    await f.clock.advanceTo(2000);
    f.server.behaviour.refuse = true;
    f.server.sockets[0]!.drop();
    await f.clock.advanceTo(2000 + 100 + 300 + 900 - 1);
    f.server.behaviour.refuse = false;
    await f.clock.advanceTo(10_000);

    expect(f.timeline('reconnecting', (d) => d.delay)).toEqual([
      [2000, 100],
      [2100, 300],
      [2400, 900],
    ]);
    expect(f.server.attempts).toEqual([0, 2100, 2400, 3300]);
    expect(f.timeline('open', (d) => d.sessionId)).toEqual([
      [0, 's1'],
      [3300, 's4'],
    ]);
    // Stable again at 4300; the next drop starts over at reconnectInterval.
    f.server.sockets[3]!.drop();
    await f.clock.advanceTo(10_200);
    expect(f.timeline('reconnecting', (d) => d.delay).at(-1)).toEqual([10_000, 100]);
    expect(f.server.attempts.at(-1)).toBe(10_100);
    await f.close();
  });
});
