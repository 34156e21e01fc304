import { clientFixture } from './helpers/client-fixture';
import { marbleTimeline } from './helpers/virtual-clock';

const HEARTBEAT = { heartbeatInterval: 1000, heartbeatTimeout: 500, heartbeatMaxMissed: 3 };

describe('ReliableWebSocketClient heartbeat timing', () => {
  it('counts a miss per unanswered ping, closes with 4006 at (maxMissed - 1) * interval + timeout, reconnects after the backoff', async () => {
    const f = clientFixture({ ...HEARTBEAT, reconnectInterval: 200, backoff: { jitter: 'none' } });
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    // Pings at 0, 1000, 2000 are answered; the server goes silent at 2500.
    await f.clock.advanceTo(2500);
    f.server.behaviour.answerHeartbeats = false;
    await f.clock.advanceTo(5600);
    f.server.behaviour.answerHeartbeats = true;
    await f.clock.advanceTo(8000);

    //                                                        pings: 0 1000 2000 | 3000 4000 5000 unanswered
    expect(f.server.pings()).toEqual([0, 1000, 2000, 3000, 4000, 5000, 5700, 6700, 7700]);
    expect(f.timeline('heartbeatTimeout', (d) => d.missed)).toEqual(
      marbleTimeline('3500ms 1 999ms 2 999ms 3', { 1: 1, 2: 2, 3: 3 }),
    );
    // First unanswered ping at 3000, link declared dead at 5500 = 3000 + (3 - 1) * 1000 + 500.
    expect(f.server.sockets[0]!.closedWith).toMatchObject({ code: 4006, at: 5500 });
    expect(f.timeline('reconnecting', (d) => d.delay)).toEqual([[5500, 200]]);
    expect(f.server.attempts).toEqual([0, 5700]);
    expect(f.timeline('open', (d) => d.sessionId)).toEqual([
      [0, 's1'],
      [5700, 's2'],
    ]);
    expect(f.states.filter(([at]) => at >= 5500)).toEqual([
      [5500, 'reconnecting'],
      [5700, 'connected'],
    ]);
    await f.close();
  });

  it('a late pong resets the miss count: two misses, an answer, then two more misses do not kill the link', async () => {
    const f = clientFixture({ ...HEARTBEAT, reconnectInterval: 200, backoff: { jitter: 'none' } });
    f.server.behaviour.answerHeartbeats = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    await f.clock.advanceTo(1900); // misses at 500 and 1500
    f.server.behaviour.answerHeartbeats = true;
    await f.clock.advanceTo(2100); // ping 2000 answered
    f.server.behaviour.answerHeartbeats = false;
    await f.clock.advanceTo(4900); // misses at 3500 and 4500
    expect(f.timeline('heartbeatTimeout', (d) => d.missed)).toEqual([
      [500, 1],
      [1500, 2],
      [3500, 1],
      [4500, 2],
    ]);
    expect(f.server.attempts).toEqual([0]);
    expect(f.client.state).toBe('connected');
    await f.close();
  });
});
