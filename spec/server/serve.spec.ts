import { serve, SERVE_USAGE } from '../../src/cli/serve';
import { createTradeSignalHandler } from '../../src/cli/trade-signal-handler';
import { ValidationError } from '../../src/protocol/errors';
import type { HandlerContext } from '../../src/server/index';
import { RawClient, withTimeout } from '../helpers/raw-client';

const SIGNAL = { symbol: 'EURUSD', action: 'BUY', volume: 0.1, stopLoss: 1.18, takeProfit: 1.19 };

/** Starts `serve` on port 0; resolves once it listens. */
async function startServe(args: string[]) {
  const lines: string[] = [];
  const watchers: Array<{ test: (line: string) => boolean; resolve: () => void }> = [];
  /** Resolves when a line matching `test` has been (or is) logged. */
  const line = (test: (line: string) => boolean): Promise<void> =>
    lines.some(test)
      ? Promise.resolve()
      : withTimeout(new Promise<void>((resolve) => watchers.push({ test, resolve })), 3000, 'a log line');
  const abort = new AbortController();
  let listening!: (port: number) => void;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const done = serve(['--port', '0', ...args], {
    log: (text) => {
      lines.push(text);
      for (const w of watchers) if (w.test(text)) w.resolve();
    },
    signal: abort.signal,
    handleSignals: false,
    onListening: ({ port: p }) => listening(p),
  });
  return { lines, line, abort, done, port: await withTimeout(port, 3000, 'serve to listen') };
}

describe('serve', () => {
  it('runs the server with a TRADE_SIGNAL handler behind --api-key, logs, and stops on abort', async () => {
    const { lines, abort, done, port } = await startServe([
      '--api-key',
      'k1',
      '--api-key',
      'k2',
      '--stats-interval',
      '0',
    ]);
    const url = `ws://127.0.0.1:${port}`;
    const refused = await RawClient.open(url);
    expect(await refused.hello('c0', 'wrong')).toMatchObject({ code: 'AUTHENTICATION_FAILED' });

    const client = await RawClient.connect(url, 'trader', 'k2');
    client.message('s1', 'TRADE_SIGNAL', SIGNAL);
    expect(await client.next()).toEqual({
      type: 'ack',
      id: 's1',
      response: { orderId: expect.any(String), status: 'accepted' },
    });
    client.message('s1', 'TRADE_SIGNAL', SIGNAL);
    client.message('s2', 'TRADE_SIGNAL', { ...SIGNAL, action: 'SELL' });
    expect(await client.next((e) => e.id === 's2')).toMatchObject({ type: 'nack', code: 'VALIDATION_ERROR' });
    abort.abort();
    const summary = await withTimeout(done, 3000, 'serve to stop');
    expect((await client.closed).code).toBe(1001);
    expect(summary).toMatchObject({
      port,
      duplicatesProcessed: 0,
      stats: { duplicates: 1, messagesHandled: 2, authFailures: 1 },
    });
    expect(lines[0]).toBe(`rx-reliable-ws server listening on ws://127.0.0.1:${port} with 2 API key(s)`);
    expect(lines.some((l) => /^connect +client=trader principal=key:[0-9a-f]{16} /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^stats +connections=0 sessions=0 received=3 handled=2 duplicates=1 /);
  });

  it('logs a periodic stats line', async () => {
    const { lines, line, abort, done } = await startServe(['--stats-interval', '10']);
    await line((l) => l.startsWith('stats'));
    abort.abort();
    await done;
    expect(lines[0]).toContain('no authentication');
  });

  it('prints usage for --help and starts nothing', async () => {
    const lines: string[] = [];
    await expect(serve(['serve', '--help'], { log: (l) => lines.push(l) })).resolves.toBeUndefined();
    expect(lines).toEqual([SERVE_USAGE]);
  });

  it.each([
    [['--port', 'abc'], /--port must be an integer/],
    [['--port', '70000'], /--port must be an integer/],
    [['--stats-interval', '-1'], /stats-interval/],
    [['--api-key'], /api-key/],
    [['--api-key', ''], /--api-key must not be empty/],
    [['--path', 'ws'], /--path must start/],
    [['--bogus'], /Unknown option '--bogus'[\s\S]*rx-reliable-ws serve/],
    [['positional'], /positional/],
  ])('refuses bad flags %j with a clear error', async (args, message) => {
    await expect(serve(args, { handleSignals: false })).rejects.toThrow(message);
  });
});

describe('createTradeSignalHandler', () => {
  const ctx = (messageId: string): HandlerContext => ({
    clientId: 'c',
    principal: 'p',
    messageId,
    sessionId: 's',
    name: 'TRADE_SIGNAL',
  });

  it('accepts a valid signal with a fresh order id and counts runs per message id', () => {
    const handler = createTradeSignalHandler();
    const first = handler.handle(SIGNAL, ctx('a'));
    const second = handler.handle(SIGNAL, ctx('b'));
    expect(first).toEqual({ orderId: 'ord-1', status: 'accepted' });
    expect(second.orderId).toBe('ord-2');
    handler.handle(SIGNAL, ctx('a'));
    expect(() => handler.handle({ ...SIGNAL, volume: 0 }, ctx('c'))).toThrow(ValidationError);
    expect(handler.timesProcessed('a')).toBe(2);
    expect(handler.timesProcessed('zzz')).toBe(0);
    expect({
      processed: handler.processed,
      duplicates: handler.duplicates,
      accepted: handler.accepted,
      rejected: handler.rejected,
    }).toEqual({
      processed: 3,
      duplicates: 1,
      accepted: 3,
      rejected: 1,
    });
  });
});
