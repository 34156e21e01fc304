import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_SERVER_OPTIONS } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';
import { until } from '../helpers/wait';

const start = useServers();
const HANDLER_TIMEOUT_MS = 1500;
/** What 10,000 resends may add to the heap while the id is pending (before: ~324 B each, 3.2 MB). */
const FLAT_HEAP_BYTES = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}
const RESENDS = 10_000;
/** DEFAULT_DISPATCH_LIMITS.maxWaiters: copies of a pending id answered when it settles. */
const MAX_WAITERS = 8;

describe('ReliableWebSocketServer and a handler that never settles', () => {
  it('documents a 30 s handlerTimeout by default', () => {
    expect(DEFAULT_SERVER_OPTIONS.handlerTimeout).toBe(30_000);
  });

  it('answers nack HANDLER_TIMEOUT after handlerTimeout, remembers it, and keeps at most 8 waiters over 10,000 resends', async () => {
    const { server, url } = await start({ handlerTimeout: HANDLER_TIMEOUT_MS });
    let runs = 0;
    server.handle('STUCK', () => {
      runs++;
      return new Promise(() => undefined);
    });
    const client = await RawClient.connect(url, 'c1');
    const sentAt = Date.now();
    client.message('m1', 'STUCK');
    await until(() => runs === 1, 3000, 'the handler to start');
    const heapBefore = heapAfterGc();
    // Each resend in its own frame (copies inside one frame are answered once anyway).
    for (let i = 0; i < RESENDS; i++) client.message('m1', 'STUCK');
    await until(() => server.stats().duplicates === RESENDS, 3000, 'every resend to be read');
    const heapGrowth = heapAfterGc() - heapBefore;
    expect(server.stats().inFlight).toBe(1);
    const first = await client.next((e) => e.id === 'm1', 'the HANDLER_TIMEOUT nack', 5000);
    const waitedMs = Date.now() - sentAt;
    expect(first).toMatchObject({ type: 'nack', id: 'm1', code: 'HANDLER_TIMEOUT' });
    expect(first.message).toMatch(/^HANDLER_TIMEOUT: /);
    expect(waitedMs).toBeGreaterThanOrEqual(HANDLER_TIMEOUT_MS - 20);
    // Frames are handled in order: the heartbeat's answer comes after every answer due before it.
    client.send({ type: 'heartbeat', ts: 1 });
    await client.next((e) => e.type === 'heartbeat_ack', 'the heartbeat answer');
    const answered = 1 + client.pending.filter((e: { id?: string }) => e.id === 'm1').length;
    console.log(
      `stuck handler: nack after ${waitedMs} ms (handlerTimeout ${HANDLER_TIMEOUT_MS}), ${answered} of ${RESENDS + 1} copies answered, ` +
        `heap growth over the resends ${(heapGrowth / 1024).toFixed(0)} KiB after gc (client and server in this process)`,
    );
    expect(answered).toBeLessThanOrEqual(MAX_WAITERS);
    expect(heapGrowth).toBeLessThan(FLAT_HEAP_BYTES);
    expect(server.stats()).toMatchObject({ inFlight: 0, duplicates: RESENDS });

    // Remembered like any outcome: a later resend gets it at once and the handler never runs again.
    client.message('m1', 'STUCK');
    expect(await client.next((e) => e.id === 'm1')).toEqual(first);
    expect(runs).toBe(1);
    await client.close();
  });

  it('keeps HANDLER_TIMEOUT as the outcome when the handler settles later, and reports that as an error event', async () => {
    const { server, url } = await start({ handlerTimeout: 50 });
    let finish!: (value: unknown) => void;
    server.handle('LATE', () => new Promise((resolve) => (finish = resolve)));
    const errors: unknown[] = [];
    server.events$.subscribe((e) => e.type === 'error' && errors.push(e.error));
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'LATE');
    expect(await client.next((e) => e.id === 'm1')).toMatchObject({ code: 'HANDLER_TIMEOUT' });
    finish('done at last');
    await until(() => errors.length === 1, 3000, 'the late-settle error event');
    expect(String((errors[0] as Error).message)).toMatch(/settled after handlerTimeout/);
    client.message('m1', 'LATE');
    expect(await client.next((e) => e.id === 'm1')).toMatchObject({ code: 'HANDLER_TIMEOUT' });
    await client.close();
  });

  it('refuses a handlerTimeout that is not a positive integer or Infinity', async () => {
    const { ReliableWebSocketServer } = await import('../../src/server/index');
    expect(() => new ReliableWebSocketServer({ handlerTimeout: 0 })).toThrow(/handlerTimeout/);
    expect(() => new ReliableWebSocketServer({ handlerTimeout: Infinity })).not.toThrow();
  });
});
