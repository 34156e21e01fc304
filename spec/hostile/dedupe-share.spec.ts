import { DEFAULT_SERVER_OPTIONS } from '../../src/server/index';
import { resolveServerOptions } from '../../src/server/server-options';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();
const KEY_A = 'key-of-account-a';
const KEY_B = 'key-of-account-b';
const SHARE = 10;

function batch(prefix: string, n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'data', id: `${prefix}${i}`, name: 'ORDER' }));
}

describe('ReliableWebSocketServer dedupe share per principal', () => {
  it('defaults to half of dedupeMaxEntries per principal when keys are checked, the whole cap when all are anonymous', () => {
    expect(DEFAULT_SERVER_OPTIONS.dedupeMaxEntriesPerPrincipal).toBe(500_000);
    expect(resolveServerOptions({ apiKeys: ['k'] }).dedupeMaxEntriesPerPrincipal).toBe(500_000);
    expect(
      resolveServerOptions({ authenticate: () => 'p', dedupeMaxEntries: 51 }).dedupeMaxEntriesPerPrincipal,
    ).toBe(26);
    expect(resolveServerOptions({}).dedupeMaxEntriesPerPrincipal).toBe(1_000_000);
    expect(resolveServerOptions({ dedupeMaxEntries: 50 }).dedupeMaxEntriesPerPrincipal).toBe(50);
    expect(() => resolveServerOptions({ dedupeMaxEntriesPerPrincipal: 0 })).toThrow(
      /dedupeMaxEntriesPerPrincipal/,
    );
  });

  it('refuses one principal at its share with DEDUPE_FULL while another principal is still served', async () => {
    const { server, url } = await start({
      apiKeys: [KEY_A, KEY_B],
      dedupeMaxEntries: 100,
      dedupeMaxEntriesPerPrincipal: SHARE,
    });
    let runs = 0;
    server.handle('ORDER', () => ++runs);
    // Account A fills its share over two clientIds (the share is per principal, not per client).
    const a1 = await RawClient.connect(url, 'a1', KEY_A);
    const a2 = await RawClient.connect(url, 'a2', KEY_A);
    a1.send(batch('a1-', SHARE / 2));
    await a1.acks(batch('a1-', SHARE / 2).map((e) => (e as { id: string }).id));
    a2.send(batch('a2-', SHARE / 2));
    await a2.acks(batch('a2-', SHARE / 2).map((e) => (e as { id: string }).id));
    a2.message('a2-over', 'ORDER');
    const refused = await a2.next((e) => e.id === 'a2-over');
    expect(refused).toMatchObject({ type: 'nack', code: 'DEDUPE_FULL', retryAfter: expect.any(Number) });
    expect(refused.message).toMatch(/^DEDUPE_FULL: /);
    expect(refused.retryAfter).toBeGreaterThan(0);
    // A resend of an id it already holds is still answered from memory.
    a1.message('a1-0', 'ORDER');
    expect(await a1.next((e) => e.id === 'a1-0')).toMatchObject({ type: 'ack', id: 'a1-0' });

    // Account B is not blocked by A: its whole share goes through.
    const b = await RawClient.connect(url, 'b1', KEY_B);
    const ids = batch('b-', SHARE).map((e) => (e as { id: string }).id);
    b.send(batch('b-', SHARE));
    await b.acks(ids);
    expect(b.pending.filter((e: { type: string }) => e.type === 'nack')).toEqual([]);
    expect(runs).toBe(2 * SHARE);
    expect(server.stats().dedupeEntries).toBe(2 * SHARE);
    await Promise.all([a1.close(), a2.close(), b.close()]);
  });
});
