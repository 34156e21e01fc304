import { serve } from '../../src/cli/serve';
import { RawClient, withTimeout } from '../helpers/raw-client';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { until } from '../helpers/wait';

const SIGNAL = { symbol: 'EURUSD', action: 'BUY', volume: 0.1 };

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

async function startServe(args: string[]) {
  const lines: string[] = [];
  const abort = new AbortController();
  let listening!: (port: number) => void;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const done = serve(['--port', '0', '--stats-interval', '0', ...args], {
    log: (text) => lines.push(text),
    signal: abort.signal,
    handleSignals: false,
    onListening: ({ port: p }) => listening(p),
  });
  return { lines, abort, done, port: await withTimeout(port, 5000, 'serve to listen') };
}

describe('serve --redis', () => {
  it('runs nodes that share the dedupe store: a resend on the second node gets the first node’s answer', async () => {
    const a = await startServe(['--redis', redis.url]);
    const b = await startServe(['--redis', redis.url]);
    expect(a.lines.find((l) => l.includes('listening'))).toContain(`state on ${redis.url}`);
    const onA = await RawClient.connect(`ws://127.0.0.1:${a.port}`, 'trader');
    onA.message('s1', 'TRADE_SIGNAL', SIGNAL);
    const first = await onA.next();
    expect(first).toMatchObject({ type: 'ack', id: 's1' });
    await onA.close();
    const onB = await RawClient.connect(`ws://127.0.0.1:${b.port}`, 'trader');
    onB.message('s1', 'TRADE_SIGNAL', SIGNAL);
    expect(await onB.next()).toEqual(first);
    await onB.close();
    a.abort.abort();
    b.abort.abort();
    const [sa, sb] = await Promise.all([a.done, b.done]);
    expect(sa!.stats.messagesHandled + sb!.stats.messagesHandled).toBe(1);
    expect(sb!.stats.duplicates).toBe(1);
  });

  it('refuses a --redis that is not a redis:// URL', async () => {
    await expect(serve(['--redis', 'localhost:6379'], { handleSignals: false })).rejects.toThrow(
      /--redis must be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('logs when Redis is lost (nacking DEDUPE_UNAVAILABLE) and when it is back, without a restart', async () => {
    const a = await startServe(['--redis', redis.url]);
    try {
      redis.freeze();
      await until(() => a.lines.some((l) => l.startsWith('redis      DOWN:')), 10_000, 'the DOWN line');
      expect(a.lines.find((l) => l.startsWith('redis      DOWN:'))).toContain(
        'messages are nacked DEDUPE_UNAVAILABLE until it is back',
      );
      redis.thaw();
      await until(() => a.lines.at(-1)?.startsWith('redis      up:') === true, 10_000, 'the up line');
      const client = await RawClient.connect(`ws://127.0.0.1:${a.port}`, 'trader');
      client.message('after', 'TRADE_SIGNAL', SIGNAL);
      expect(await client.next()).toMatchObject({ type: 'ack', id: 'after' });
      await client.close();
    } finally {
      redis.thaw();
      a.abort.abort();
      await a.done;
    }
  }, 30_000);
});
