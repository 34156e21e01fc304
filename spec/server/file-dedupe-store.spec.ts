import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import {
  FileDedupeStore,
  MemoryDedupeStore,
  OUTCOME_UNKNOWN,
  ReliableWebSocketServer,
  type DedupeOutcome,
  type DedupeStore,
  type ReliableWebSocketServerOptions,
} from '../../src/server/index';
import { FileStorageAdapter } from '../../src/storage/file-storage-adapter';
import { RawClient } from '../helpers/raw-client';

const dirs: string[] = [];
const stores: FileDedupeStore[] = [];
const servers: ReliableWebSocketServer[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rxws-dedupe-'));
  dirs.push(dir);
  return dir;
}
async function open(
  dir: string,
  options: ConstructorParameters<typeof FileDedupeStore>[1] = {},
): Promise<FileDedupeStore> {
  const store = new FileDedupeStore(dir, options);
  stores.push(store);
  await store.ready;
  return store;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ok = (response: unknown): DedupeOutcome => ({ ok: true, response });
const HOUR = 3_600_000;

describe('FileDedupeStore', () => {
  it('remembers completed outcomes, acks and nacks, across a reopen', async () => {
    const dir = tempDir();
    const first = await open(dir);
    const now = Date.now();
    expect(first.get('k1', now)).toBeUndefined();
    expect(await first.begin('k1', now + HOUR)).toEqual({ status: 'started' });
    expect(first.get('k1', now)).toBe('pending');
    await first.complete('k1', ok({ orderId: 'o1' }), now + HOUR);
    await first.begin('k2', now + HOUR);
    await first.complete('k2', { ok: false, code: 'VALIDATION_ERROR', message: 'bad volume' }, now + HOUR);
    expect(first.get('k1', now)).toEqual(ok({ orderId: 'o1' }));
    await first.close();

    const second = await open(dir);
    expect(second.recovery).toEqual({ entries: 2, unknown: 0, expired: 0 });
    expect(second.get('k1', now)).toEqual(ok({ orderId: 'o1' }));
    expect(second.get('k2', now)).toEqual({ ok: false, code: 'VALIDATION_ERROR', message: 'bad volume' });
    expect(await second.begin('k1', now + HOUR)).toEqual({ status: 'exists' });
    expect(second.size()).toBe(2);
  });

  it('writes the claim before the handler may run: a claim without an outcome reopens as OUTCOME_UNKNOWN, never as new', async () => {
    const dir = tempDir();
    const first = await open(dir);
    const now = Date.now();
    await first.begin('running', now + HOUR);
    await first.close(); // the process "dies" before complete

    const second = await open(dir);
    expect(second.recovery.unknown).toBe(1);
    expect(second.get('running', now)).toEqual(OUTCOME_UNKNOWN);
    expect(await second.begin('running', now + HOUR)).toEqual({ status: 'exists' });
  });

  it('resolves complete only once the outcome is fsynced', async () => {
    const dir = tempDir();
    const storage = new FileStorageAdapter(dir);
    const store = new FileDedupeStore(storage);
    await store.ready;
    await store.begin('k', Date.now() + HOUR);
    const before = storage.stats.fsyncs;
    const done = store.complete('k', ok(1), Date.now() + HOUR);
    expect(storage.stats.fsyncs).toBe(before);
    await done;
    expect(storage.stats.fsyncs).toBe(before + 1);
    await storage.close();
  });

  it('evicts expired entries from memory and from the journal, and drops expired ones on open', async () => {
    const dir = tempDir();
    let clock = 1_000;
    const first = await open(dir, { now: () => clock });
    for (const [key, expiresAt] of [
      ['a', 2_000],
      ['b', 3_000],
      ['c', 4_000],
    ] as const) {
      await first.begin(key, expiresAt);
      await first.complete(key, ok(key), expiresAt);
    }
    expect(await first.evictExpired(2_500)).toBe(1);
    expect(first.get('a', 1_000)).toBeUndefined();
    expect(first.get('b', 2_500)).toEqual(ok('b'));
    await first.close();

    clock = 3_500;
    const second = await open(dir, { now: () => clock });
    expect(second.recovery).toEqual({ entries: 1, unknown: 0, expired: 1 });
    expect(second.get('b', 1_000)).toBeUndefined();
    expect(second.get('c', 3_500)).toEqual(ok('c'));
  });

  it('keeps odd keys exact: lone surrogates, newlines, non-BMP characters', async () => {
    const dir = tempDir();
    const keys = ['7:key:abcd2:c1:\ud800', 'x\ny\u0000z', '😀\udfff', ''];
    const first = await open(dir);
    for (const key of keys) {
      await first.begin(key, Date.now() + HOUR);
      await first.complete(key, ok(key), Date.now() + HOUR);
    }
    await first.close();
    const second = await open(dir);
    for (const key of keys) expect(second.get(key, Date.now())).toEqual(ok(key));
    expect(second.get('7:key:abcd2:c1:\ufffd', Date.now())).toBeUndefined();
  });

  it('refuses new ids at maxEntries with the time until the oldest expires', async () => {
    let clock = 0;
    const store = await open(tempDir(), { maxEntries: 2, now: () => clock });
    await store.begin('a', 10_000);
    await store.complete('a', ok(1), 10_000);
    await store.begin('b', 20_000);
    expect(await store.begin('c', 30_000)).toEqual({ status: 'full', retryAfterMs: 10_000 });
    clock = 10_000;
    expect(await store.begin('c', 30_000)).toEqual({ status: 'started' });
  });

  it('answers calls made before the journal is replayed, once it is', async () => {
    const dir = tempDir();
    const first = await open(dir);
    await first.begin('k', Date.now() + HOUR);
    await first.complete('k', ok('early'), Date.now() + HOUR);
    await first.close();
    const second = new FileDedupeStore(dir);
    stores.push(second);
    expect(await second.get('k', Date.now())).toEqual(ok('early'));
  });

  it('rejects a bad maxEntries', () => {
    expect(() => new FileDedupeStore(tempDir(), { maxEntries: 0 })).toThrow('`maxEntries`');
  });
});

describe('ReliableWebSocketServer with a FileDedupeStore', () => {
  async function start(
    options: ReliableWebSocketServerOptions,
    port = 0,
  ): Promise<{ server: ReliableWebSocketServer; url: string; runs: string[] }> {
    const server = new ReliableWebSocketServer({ port, ...options });
    servers.push(server);
    const runs: string[] = [];
    server.handle('ORDER', (_payload, ctx) => {
      runs.push(ctx.messageId);
      return { orderId: `o-${ctx.messageId}` };
    });
    return { server, url: `ws://127.0.0.1:${(await server.listen()).port}`, runs };
  }

  it('answers a resend after a server restart from the journal, without running the handler again', async () => {
    const dir = tempDir();
    const first = await start({ dedupeStore: await open(dir) });
    const client = await RawClient.connect(first.url, 'c1');
    client.message('m1', 'ORDER');
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: { orderId: 'o-m1' } });
    await first.server.close();
    await stores.pop()!.close();

    const second = await start({ dedupeStore: await open(dir) });
    const again = await RawClient.connect(second.url, 'c1');
    again.message('m1', 'ORDER');
    again.message('m2', 'ORDER');
    expect(await again.next((e) => e.id === 'm1')).toEqual({
      type: 'ack',
      id: 'm1',
      response: { orderId: 'o-m1' },
    });
    expect(await again.next((e) => e.id === 'm2')).toEqual({
      type: 'ack',
      id: 'm2',
      response: { orderId: 'o-m2' },
    });
    expect(second.runs).toEqual(['m2']);
    expect(second.server.stats()).toMatchObject({ duplicates: 1, dedupeEntries: 2 });
    await again.close();
  });

  it('sends the ack only after complete() has resolved', async () => {
    const memory = new MemoryDedupeStore();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const store: DedupeStore = {
      get: (key, now) => memory.get(key, now),
      begin: (key, expiresAt) => memory.begin(key, expiresAt),
      complete: (key, outcome, expiresAt) => held.then(() => memory.complete(key, outcome, expiresAt)),
      evictExpired: (now) => memory.evictExpired(now),
    };
    const { server, url, runs } = await start({ dedupeStore: store });
    const handled = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'message')));
    const client = await RawClient.connect(url, 'c1');
    client.message('m1', 'ORDER');
    await handled;
    client.send({ type: 'heartbeat', ts: 1 });
    expect(await client.next()).toEqual({ type: 'heartbeat_ack', ts: 1 }); // answered; the ack is still held
    expect(runs).toEqual(['m1']);
    expect(client.pending).toEqual([]);
    release();
    expect(await client.next()).toEqual({ type: 'ack', id: 'm1', response: { orderId: 'o-m1' } });
    await client.close();
  });

  it('refuses to listen when the journal cannot be opened', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'journal.log'), 'not a journal');
    const store = new FileDedupeStore(dir);
    const server = new ReliableWebSocketServer({ port: 0, dedupeStore: store });
    await expect(server.listen()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  });
});
