import { WebSocket } from 'ws';
import { filter, firstValueFrom, map, take, toArray } from 'rxjs';
import {
  ConnectionState,
  ReliableWebSocketClient,
  type ReliableClientOptions,
  type WebSocketConstructor,
} from '../../src/node';
import { API_KEY, ReliabilityRig } from '../helpers/reliability-rig';
import { withTimeout } from '../helpers/raw-client';
import { waitFor } from '../helpers/wait';
import { countDeliveries, faults, formatCounts, NO_FAULTS } from './helpers/counts';

const INTERVAL = 200;
const TIMEOUT = 150;
const MAX_MISSED = 3;
const SERVER_PING_INTERVAL = 250;
/** Timer lateness allowed on a loaded 2-core machine. */
const MARGIN = 150;

/**
 * The contract counts from the first unanswered ping: `(maxMissed - 1) *
 * interval + timeout`. From the moment the link goes black, that ping is the
 * next one due, at most one `interval` later (or one already in flight, up to
 * a round trip earlier). So, measured from the black-hole start, detection
 * lies in [(maxMissed - 1) * interval + timeout - rtt, maxMissed * interval + timeout].
 */
const CONTRACT = (MAX_MISSED - 1) * INTERVAL + TIMEOUT; // 550 ms
const UPPER = CONTRACT + INTERVAL; // 750 ms
/** The server pings every interval and terminates a socket silent since the previous ping: within 2 intervals. */
const SERVER_UPPER = 2 * SERVER_PING_INTERVAL; // 500 ms

const OPTIONS: ReliableClientOptions = {
  apiKey: API_KEY,
  enablePersistence: false,
  heartbeatInterval: INTERVAL,
  heartbeatTimeout: TIMEOUT,
  heartbeatMaxMissed: MAX_MISSED,
  reconnectInterval: 20,
  maxReconnectAttempts: 1000,
  backoff: { maxInterval: 100 },
  connectTimeout: 300,
};

describe('black-holed link', () => {
  let rig: ReliabilityRig;
  const clients: ReliableWebSocketClient[] = [];
  const client = (options: ReliableClientOptions = {}): ReliableWebSocketClient => {
    const c = new ReliableWebSocketClient(rig.url, { ...OPTIONS, ...options });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    rig = await ReliabilityRig.start({ server: { heartbeatInterval: SERVER_PING_INTERVAL } });
  });
  afterEach(async () => {
    rig.proxy.blackhole(false);
    rig.proxy.holdClose(false);
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await rig.close();
  });

  /** Black-holes the link with closes held (so neither side learns from the other) and times both detections. */
  async function blackholeRound(
    c: ReliableWebSocketClient,
    phaseMs: number,
  ): Promise<{ client: number; firstMiss: number; server: number }> {
    // Where in the ping cycle the link dies decides where in the window detection lands: vary it per round.
    await new Promise((resolve) => setTimeout(resolve, phaseMs));
    const serverGone = firstValueFrom(
      rig.server.events$.pipe(
        filter((e) => e.type === 'disconnect'),
        take(1),
        map(() => performance.now()),
      ),
    );
    const misses = firstValueFrom(
      c.events$.pipe(
        filter((e) => e.type === 'heartbeatTimeout'),
        map(() => performance.now()),
        take(MAX_MISSED),
        toArray(),
      ),
    );
    const detected = waitFor(c.state$, (s) => s === ConnectionState.RECONNECTING, 3000, 'client detection');
    rig.proxy.holdClose(true);
    const start = performance.now();
    rig.proxy.blackhole(true);
    await detected;
    const clientAt = performance.now();
    const [missTimes, serverAt] = await withTimeout(
      Promise.all([misses, serverGone]),
      3000,
      'misses and server termination',
    );
    rig.proxy.blackhole(false);
    rig.proxy.holdClose(false);
    await waitFor(c.state$, (s) => s === ConnectionState.CONNECTED, 3000, 'reconnected');
    return { client: clientAt - start, firstMiss: missTimes[0]! - start, server: serverAt - start };
  }

  it(`client detects within ${UPPER} ms of the black-hole start; the server terminates within ${SERVER_UPPER} ms`, async () => {
    const c = client();
    await c.connect();
    const rounds = [];
    for (const phase of [0, 70, 140]) rounds.push(await blackholeRound(c, phase));
    const heartbeatTimeouts = rig.server.stats().heartbeatTimeouts;
    // Delivery is intact afterwards.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.sendWithAcknowledgement({ type: 'ECHO', payload: i })),
    );
    const counts = countDeliveries({
      sent: results.map((r) => r.messageId),
      acknowledged: new Set(results.filter((r) => r.acknowledged).map((r) => r.messageId)),
      processed: rig.processed,
    });
    const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join('/');
    console.log(
      formatCounts('black-hole detection', counts, {
        'client detect ms': ms(rounds.map((r) => r.client)),
        [`bound ${CONTRACT}+${INTERVAL}`]: UPPER,
        'first miss ms': ms(rounds.map((r) => r.firstMiss)),
        'server terminate ms': ms(rounds.map((r) => r.server)),
        'server bound': SERVER_UPPER,
      }),
    );
    for (const round of rounds) {
      expect(round.client).toBeLessThanOrEqual(UPPER + MARGIN);
      // Not early: it waited for every miss (a round trip of slack for a ping already in flight).
      expect(round.client).toBeGreaterThanOrEqual(CONTRACT - 20);
      // The first miss is `timeout` after the first unanswered ping, which is at most one interval after the start.
      expect(round.firstMiss).toBeLessThanOrEqual(TIMEOUT + INTERVAL + MARGIN);
      expect(round.client - round.firstMiss).toBeGreaterThanOrEqual((MAX_MISSED - 1) * INTERVAL - 20);
      expect(round.server).toBeLessThanOrEqual(SERVER_UPPER + MARGIN);
    }
    expect(heartbeatTimeouts).toBe(3);
    expect(faults(counts)).toEqual(NO_FAULTS);
  }, 20_000);

  it('releases the dead socket at detection: close 4006 at once, and a message sent while reconnecting waits for the new link', async () => {
    // One attempt of 100 ms and no retry: a message written into the dead socket would fail in 100 ms.
    const c = client({ messageTimeout: 100, maxRetries: 0 });
    await c.connect();
    const closed = waitFor(c.events$, (e) => e.type === 'close', 3000, 'close event');
    const detected = waitFor(c.state$, (s) => s === ConnectionState.RECONNECTING, 3000, 'client detection');
    rig.proxy.holdClose(true);
    rig.proxy.blackhole(true);
    await detected;
    const close = await closed;
    expect(close.detail).toMatchObject({ code: 4006 });
    const pending = c.sendWithAcknowledgement({ type: 'ECHO', payload: 'while-down' });
    // Stay down for several failed attempts (each 300 ms): well past the message's 100 ms.
    await waitFor(
      c.events$,
      (e) => e.type === 'reconnecting' && e.detail.attempt >= 3,
      5000,
      'three reconnect attempts',
    );
    expect(c.getStats()).toMatchObject({ queueSize: 1, messagesFailed: 0 });
    rig.proxy.blackhole(false);
    rig.proxy.holdClose(false);
    const result = await withTimeout(pending, 5000, 'delivery after reconnect');
    const counts = countDeliveries({
      sent: [result.messageId],
      acknowledged: new Set(result.acknowledged ? [result.messageId] : []),
      processed: rig.processed,
    });
    console.log(formatCounts('send while reconnecting', counts, { attempts: result.attempts }));
    expect(result).toMatchObject({ acknowledged: true, attempts: 1 });
    expect(faults(counts)).toEqual(NO_FAULTS);
  }, 20_000);

  it('a dead socket that finishes closing after the reconnect does not detach the live connection', async () => {
    // `ws` gives up on a close handshake after 30 s; recording the sockets lets the spec end that wait now.
    const sockets: WebSocket[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    }
    const c = client({ WebSocketCtor: RecordingWebSocket as unknown as WebSocketConstructor });
    await c.connect();
    const dead = sockets[0]!;
    const detected = waitFor(c.state$, (s) => s === ConnectionState.RECONNECTING, 3000, 'client detection');
    rig.proxy.holdClose(true);
    rig.proxy.blackhole(true);
    await detected;
    rig.proxy.blackhole(false);
    rig.proxy.holdClose(false);
    await waitFor(c.state$, (s) => s === ConnectionState.CONNECTED, 3000, 'reconnected');
    expect(dead.readyState).toBe(WebSocket.CLOSING);
    const deadClosed = new Promise((resolve) => dead.once('close', resolve));
    dead.terminate();
    await deadClosed;
    const results = await withTimeout(
      Promise.all(
        Array.from({ length: 10 }, (_, i) => c.sendWithAcknowledgement({ type: 'ECHO', payload: i })),
      ),
      3000,
      'acks on the live connection',
    );
    const counts = countDeliveries({
      sent: results.map((r) => r.messageId),
      acknowledged: new Set(results.filter((r) => r.acknowledged).map((r) => r.messageId)),
      processed: rig.processed,
    });
    console.log(formatCounts('late close of a dead socket', counts));
    expect(c.state).toBe(ConnectionState.CONNECTED);
    expect(faults(counts)).toEqual(NO_FAULTS);
  }, 20_000);
});
