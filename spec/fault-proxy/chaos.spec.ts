import { chaos, FaultProxy, type ChaosEvent } from '../helpers/fault-proxy';
import { connect, startSink, withDeadline, type TcpSink } from './tcp-sink';

describe('chaos', () => {
  let sink: TcpSink;
  let proxy: FaultProxy;

  beforeEach(async () => {
    sink = await startSink();
    proxy = new FaultProxy({ target: { host: '127.0.0.1', port: sink.port }, seed: 99 });
    await proxy.listen();
  });

  afterEach(async () => {
    await proxy.close();
    await sink.close();
  });

  it('resets live links at random intervals within the range, then ends by itself', async () => {
    const client = await connect(proxy.port);
    client.on('error', () => undefined);
    const events: ChaosEvent[] = [];
    const handle = chaos(proxy, { resetEveryMs: [20, 40], durationMs: 150, onEvent: (e) => events.push(e) });
    await withDeadline(handle.done, 'chaos to end', 2000);
    const resets = events.filter((e) => e.type === 'reset');
    expect(resets.length).toBeGreaterThanOrEqual(2);
    expect(resets.length).toBeLessThanOrEqual(7);
    expect(resets[0].atMs).toBeGreaterThanOrEqual(19);
    expect(resets[0].live).toBe(1);
    expect(events.at(-1)?.type).toBe('end');
    expect(proxy.stats.resets).toBe(1);
    expect(client.destroyed).toBe(true);
  });

  it('black-holes for a while and always lifts the black-hole when stopped', async () => {
    const events: string[] = [];
    const handle = chaos(proxy, {
      blackholeEveryMs: [5, 10],
      blackholeForMs: 1000,
      durationMs: 5000,
      onEvent: (e) => {
        events.push(e.type);
        if (e.type === 'blackhole-start') handle();
      },
    });
    await withDeadline(handle.done, 'chaos to stop', 2000);
    expect(events).toEqual(['blackhole-start', 'blackhole-end', 'end']);
    expect(proxy.blackholed).toBe(false);
  });

  it('draws its schedule from the seeded PRNG, so a seed replays it', () => {
    const draws = (seed: number) => {
      const p = new FaultProxy({ target: { host: '127.0.0.1', port: 1 }, seed });
      const stop = chaos(p, { resetEveryMs: [0, 1000], blackholeEveryMs: [0, 1000], durationMs: 10 });
      stop();
      return p.random();
    };
    // chaos consumed exactly two draws (first reset, first black-hole) before ours.
    const reference = new FaultProxy({ target: { host: '127.0.0.1', port: 1 }, seed: 5 });
    reference.random();
    reference.random();
    expect(draws(5)).toBe(reference.random());
  });

  it('rejects invalid options with a TypeError naming the option', () => {
    expect(() => chaos(proxy, { durationMs: 0 })).toThrow(/durationMs/);
    expect(() => chaos(proxy, { resetEveryMs: [10, 5], durationMs: 10 })).toThrow(/resetEveryMs/);
    expect(() => chaos(proxy, { blackholeEveryMs: [1, 2], blackholeForMs: -1, durationMs: 10 })).toThrow(
      /blackholeForMs/,
    );
  });
});
