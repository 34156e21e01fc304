import fc from 'fast-check';
import type { ServerEvent } from '../../src/server/index';
import { RawClient, withTimeout, type Closed } from '../helpers/raw-client';
import { anyFrame } from './arbitraries';
import { HOSTILE_KEY, startHostileServer, stillServes, Witness, type HostileServer } from './witness';

const SEED = 0x11fe_f022;
/** Closes a fuzzed frame may legitimately cause: a `disconnect` envelope (1000), a protocol violation (4000). */
const EXPECTED_CLOSES = [1000, 4000];
/** First frames of a fresh socket: anything but a good hello is 4000, a hello with a wrong or no key 4001. */
const EXPECTED_FIRST_FRAME_CLOSES = [4000, 4001];

let host: HostileServer;
let witness: Witness;
let faults: ServerEvent[];

beforeEach(async () => {
  host = await startHostileServer();
  faults = [];
  host.server.events$.subscribe((e) => e.type === 'error' && faults.push(e));
  witness = await Witness.start(host);
  witness.burst(20);
});
afterEach(async () => {
  await witness.stop(0);
  await host.server.close();
});

/** `'alive'` once the heartbeat_ack for `ts` arrives, or how the socket closed instead. */
function answerOrClose(client: RawClient, ts: number): Promise<'alive' | Closed> {
  let onMessage: (data: Buffer) => void = () => undefined;
  const alive = new Promise<'alive'>((resolve) => {
    onMessage = (data) => {
      const frame: unknown = JSON.parse(data.toString());
      const envelopes = (Array.isArray(frame) ? frame : [frame]) as Array<{ type?: string; ts?: number }>;
      if (envelopes.some((e) => e.type === 'heartbeat_ack' && e.ts === ts)) resolve('alive');
    };
    client.ws.on('message', onMessage);
  });
  return withTimeout(Promise.race([alive, client.closed]), 3000, `heartbeat_ack ${ts}`).finally(() =>
    client.ws.off('message', onMessage),
  );
}

async function expectUnharmed(): Promise<void> {
  witness.burst(20);
  const report = await witness.stop();
  expect(report.sent).toBeGreaterThanOrEqual(40);
  expect(report).toMatchObject({ acked: report.sent, lost: 0, wrong: 0, ranTwice: 0 });
  // No fault was contained either: nothing reached the server's defensive catch (1011) or failed a store.
  expect(faults).toEqual([]);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  await stillServes(host);
}

describe('a live ReliableWebSocketServer fed fuzzed frames (fast-check)', () => {
  it('answers every frame of an authenticated session and still answers after it, without a fault', async () => {
    let client = await RawClient.connect(host.url, 'fuzzer', HOSTILE_KEY);
    const closes: number[] = [];
    let ping = 1e12;
    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        client.send(frame);
        // A heartbeat right behind it: its answer proves the frame was taken and the session is alive.
        const ts = ++ping;
        client.send({ type: 'heartbeat', ts });
        const outcome = await answerOrClose(client, ts);
        if (outcome === 'alive') return;
        const { code } = outcome;
        closes.push(code);
        expect(EXPECTED_CLOSES).toContain(code);
        client = await RawClient.connect(host.url, 'fuzzer', HOSTILE_KEY);
      }),
      { seed: SEED, numRuns: 1000 },
    );
    expect(host.server.stats().protocolErrors).toBeGreaterThan(100);
    await client.close();
    await expectUnharmed();
  });

  it('closes a fresh socket whose first frame is fuzzed with 4000 or 4001, without a fault', async () => {
    const codes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        const socket = await RawClient.open(host.url);
        socket.send(frame);
        const { code } = await withTimeout(socket.closed, 3000, 'the server to close a fuzzed handshake');
        codes.add(code);
        expect(EXPECTED_FIRST_FRAME_CLOSES).toContain(code);
      }),
      { seed: SEED, numRuns: 300 },
    );
    expect(codes.has(4000)).toBe(true);
    await expectUnharmed();
  });
});
