import { clientFixture } from './helpers/client-fixture';
import { skewedScheduler } from './helpers/virtual-clock';

const HEARTBEAT = {
  heartbeatInterval: 1000,
  heartbeatTimeout: 500,
  heartbeatMaxMissed: 2,
  reconnectInterval: 100,
  backoff: { jitter: 'none' as const },
};

// Browsers throttle a hidden tab's timers (to once a second, then once a minute);
// a frozen page runs none until it is resumed. The clock keeps true time. The
// heartbeat must judge a ping by how long it has really been unanswered.
describe('ReliableWebSocketClient heartbeat under skewed timers', () => {
  it('timers firing 4x late (hidden tab) while the server answers: no false timeout, no reconnect', async () => {
    const f = clientFixture({ ...HEARTBEAT }, (s) => skewedScheduler(s, (delay) => delay * 4));
    f.server.behaviour.latency = 20;
    const connected = f.client.connect();
    await f.clock.advanceTo(40);
    await connected;
    await f.clock.advanceTo(60_000);

    // The throttling is real: pings went out every 4000 ms instead of every 1000 ms...
    expect(f.server.pings().slice(0, 4)).toEqual([40, 4040, 8040, 12_040]);
    // ...and yet each check, firing 2000 ms after its ping instead of 500, found the pong that came at +20.
    expect(f.timeline('heartbeatTimeout')).toEqual([]);
    expect(f.server.attempts).toHaveLength(1);
    expect(f.client.state).toBe('connected');
    await f.close();
  });

  it('timers firing late while the server is silent: the link is still declared dead (a late check is still a check)', async () => {
    const f = clientFixture({ ...HEARTBEAT }, (s) => skewedScheduler(s, (delay) => delay * 4));
    f.server.behaviour.answerHeartbeats = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    await f.clock.advanceTo(6000);
    // Ping at 0, its check at 2000 (4 x 500): miss 1; ping at 4000, check at 6000: miss 2, dead.
    expect(f.timeline('heartbeatTimeout', (d) => d.missed)).toEqual([
      [2000, 1],
      [6000, 2],
    ]);
    expect(f.server.sockets[0]!.closedWith).toMatchObject({ code: 4006, at: 6000 });
    await f.close();
  });

  it('timers firing early (timer queue ahead of the clock): a miss counts only once heartbeatTimeout has elapsed on the clock', async () => {
    // Each timer fires after 60% of its delay (at least 1 ms): the check for a ping sent at 0
    // fires at 300, 420, 468, 488, 496, 499 and only then, at 500, counts the miss.
    const f = clientFixture({ ...HEARTBEAT }, (s) =>
      skewedScheduler(s, (delay) => (delay > 1 ? Math.ceil(delay * 0.6) : delay)),
    );
    f.server.behaviour.answerHeartbeats = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    await f.clock.advanceTo(1100);
    const pings = f.server.pings();
    expect(pings.slice(0, 2)).toEqual([0, 600]);
    const misses = f.timeline('heartbeatTimeout', (d) => d.missed);
    expect(misses).toEqual([
      [500, 1],
      [1100, 2],
    ]);
    expect(f.server.sockets[0]!.closedWith).toMatchObject({ code: 4006, at: 1100 });
    await f.close();
  });
});
