import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FileStorageAdapter, ReliableWebSocketClient, StorageError } from '../../src/node';
import { FileDedupeStore, ReliableWebSocketServer, type ServerEvent } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { JOURNAL_HEADER, replayJournal } from '../../src/storage/journal-codec';
import { startTestServer, API_KEY, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/wait';

const MESSAGES = 10;
const dirs: string[] = [];
let srv: TestServer | undefined;
const clients: ReliableWebSocketClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await srv?.close();
  srv = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function client(url: string, storage: FileStorageAdapter): ReliableWebSocketClient {
  const c = new ReliableWebSocketClient(url, {
    apiKey: API_KEY,
    storage,
    enablePersistence: true,
    maxReconnectAttempts: 0,
    reconnectInterval: 10,
  });
  clients.push(c);
  return c;
}

/** Queues 10 messages in a journal while no server is there; returns the journal and the record offsets by key. */
async function journalOfTen(): Promise<{
  dir: string;
  file: string;
  records: Array<{ key: string; at: number; size: number }>;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rxws-damaged-'));
  dirs.push(dir);
  const storage = new FileStorageAdapter(dir);
  const offline = client('ws://127.0.0.1:1', storage);
  for (let i = 0; i < MESSAGES; i++) await offline.send({ type: 'ECHO', payload: i });
  await offline.close();
  await storage.close();
  const file = path.join(dir, 'journal.log');
  const records: Array<{ key: string; at: number; size: number }> = [];
  let at = JOURNAL_HEADER.length;
  replayJournal(readFileSync(file), at, (r) => {
    records.push({ key: r.key, at, size: r.size });
    at += r.size;
  });
  return { dir, file, records };
}

/** Flips one byte in the middle of the record's value. */
function flipByteIn(file: string, record: { at: number; size: number }): void {
  const bytes = readFileSync(file);
  bytes[record.at + record.size - 3] ^= 0x20;
  writeFileSync(file, bytes);
}

describe('a client restarted on a damaged file journal', () => {
  it('with a flipped byte in message 3 of 10: delivers the other 9 and reports one error event with the count', async () => {
    const { dir, file, records } = await journalOfTen();
    const messages = records.filter((r) => r.key.includes(':m:'));
    expect(messages).toHaveLength(MESSAGES);
    flipByteIn(file, messages[2]!);

    srv = await startTestServer();
    const storage = new FileStorageAdapter(dir);
    const restarted = client(srv.url, storage);
    const errors: unknown[] = [];
    restarted.addEventListener('error', (event) => errors.push(event.detail.error));
    await restarted.connect();
    await until(() => srv!.processed.size === MESSAGES - 1, 5000, '9 restored messages to be handled');
    expect(srv.order.slice().sort()).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StorageError);
    expect(errors[0]).toMatchObject({ reason: 'CORRUPT' });
    expect((errors[0] as Error).message).toMatch(/1 record\(s\) \(\d+ bytes\) could not be read/);
    expect(restarted.getStats()).toMatchObject({ storageRecordsLost: 1 });
    expect(storage.damage.movedTo).toMatch(/journal\.damaged-\d+\.log$/);
    await restarted.close();
    await storage.close();
  });

  it('with a flipped byte in the record holding the clientId: an error the app sees, and no new identity', async () => {
    const { dir, file, records } = await journalOfTen();
    const meta = records.filter((r) => r.key.endsWith(':meta'));
    expect(meta).toHaveLength(1);
    flipByteIn(file, meta[0]!);

    srv = await startTestServer();
    const connections: string[] = [];
    srv.server.events$.subscribe((e) => e.type === 'connection' && connections.push(e.clientId));
    const storage = new FileStorageAdapter(dir);
    const restarted = client(srv.url, storage);
    const errors: unknown[] = [];
    restarted.addEventListener('error', (event) => errors.push(event.detail.error));
    await expect(restarted.connect()).rejects.toMatchObject({ reason: 'CORRUPT' });
    await expect(restarted.connect()).rejects.toThrow(/clientId could not be read back/);
    expect(restarted.clientId).toBeUndefined();
    expect(errors.map((e) => (e as StorageError).reason)).toEqual(['CORRUPT', 'CORRUPT']);
    expect(connections).toEqual([]);
    expect(srv.processed.size).toBe(0);
    await restarted.close();
    await storage.close();
  });
});

describe('a server restarted on a damaged FileDedupeStore journal', () => {
  it('keeps the intact outcomes, reports one error event with the count, and shows it in stats()', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxws-damaged-dedupe-'));
    dirs.push(dir);
    const start = async (
      store: FileDedupeStore,
    ): Promise<{ server: ReliableWebSocketServer; url: string; errors: ServerEvent[] }> => {
      const server = new ReliableWebSocketServer({ port: 0, dedupeStore: store, heartbeatInterval: 0 });
      let runs = 0;
      server.handle('ORDER', () => ({ order: ++runs }));
      const errors: ServerEvent[] = [];
      server.events$.subscribe((e) => e.type === 'error' && errors.push(e));
      const { port } = await server.listen();
      return { server, url: `ws://127.0.0.1:${port}`, errors };
    };
    const firstStore = new FileDedupeStore(dir);
    const first = await start(firstStore);
    const c = await RawClient.connect(first.url, 'c1');
    c.send(['m1', 'm2', 'm3'].map((id) => ({ type: 'data', id, name: 'ORDER' })));
    await c.acks(['m1', 'm2', 'm3']);
    await c.close();
    await first.server.close();
    await firstStore.close();
    // Damage the outcome of m2; its claim is intact, so m2 comes back as OUTCOME_UNKNOWN (never run again).
    const file = path.join(dir, 'journal.log');
    const records: Array<{ key: string; json: string | undefined; at: number; size: number }> = [];
    let at = JOURNAL_HEADER.length;
    replayJournal(readFileSync(file), at, (r) => {
      records.push({ key: r.key, json: r.json, at, size: r.size });
      at += r.size;
    });
    const m2Outcome = records.filter((r) => r.key.includes('m2') && r.json?.includes('"o"'));
    expect(m2Outcome).toHaveLength(1);
    flipByteIn(file, m2Outcome[0]!);

    const secondStore = new FileDedupeStore(dir);
    const second = await start(secondStore);
    expect(second.errors).toHaveLength(1);
    const reported = (second.errors[0] as Extract<ServerEvent, { type: 'error' }>).error as StorageError;
    expect(reported).toMatchObject({ reason: 'CORRUPT' });
    expect(reported.message).toMatch(/1 record\(s\)/);
    expect(second.server.stats()).toMatchObject({ dedupeRecordsLost: 1 });
    const again = await RawClient.connect(second.url, 'c1');
    again.message('m1', 'ORDER');
    expect(await again.next((e) => e.id === 'm1')).toEqual({ type: 'ack', id: 'm1', response: { order: 1 } });
    again.message('m2', 'ORDER');
    expect(await again.next((e) => e.id === 'm2')).toMatchObject({ type: 'nack', code: 'OUTCOME_UNKNOWN' });
    again.message('m3', 'ORDER');
    expect(await again.next((e) => e.id === 'm3')).toEqual({ type: 'ack', id: 'm3', response: { order: 3 } });
    await again.close();
    await second.server.close();
    await secondStore.close();
  });
});
