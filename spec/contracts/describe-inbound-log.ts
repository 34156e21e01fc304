import type { InboundLog, InboundRecord, InboundRetention } from '../../src/server/inbound-log';
import { until } from '../helpers/wait';

/** Makes a fresh, empty log with this retention; `dispose` (if given) releases it. */
export type MakeInboundLog = (
  retention: InboundRetention,
) => Promise<{ log: InboundLog; dispose?: () => Promise<void> | void }>;

const RETENTION: InboundRetention = { maxMessages: 10_000, maxAgeMs: 60_000 };

/**
 * The InboundLog contract (DESIGN §6), run unchanged against every
 * implementation: gap-free seqs per stream from 1, reads after a seq, a
 * stable epoch, watch in seq order, retention by count and age.
 */
export function describeInboundLog(name: string, make: MakeInboundLog): void {
  describe(`InboundLog contract: ${name}`, () => {
    const opened: Array<() => Promise<void> | void> = [];
    let n = 0;
    const stream = (): string => `principal:acct-${++n}`;
    async function open(retention: InboundRetention = RETENTION): Promise<InboundLog> {
      const { log, dispose } = await make(retention);
      if (dispose) opened.push(dispose);
      await log.ready;
      return log;
    }
    afterEach(async () => {
      for (const dispose of opened.splice(0)) await dispose();
    });

    it('numbers each stream’s records 1, 2, 3 … on its own and returns what it stored', async () => {
      const log = await open();
      const [a, b] = [stream(), stream()];
      const now = Date.now();
      const first = await log.append(a, 'FILL', { qty: 1 }, now);
      expect(first).toEqual({ stream: a, seq: 1, name: 'FILL', payload: { qty: 1 }, ts: now });
      expect((await log.append(a, 'FILL', { qty: 2 }, now)).seq).toBe(2);
      expect((await log.append(b, 'FILL', undefined, now)).seq).toBe(1);
    });

    it('reads the records after a seq, in order, at most `limit`, with the stream’s bounds', async () => {
      const log = await open();
      const s = stream();
      for (let i = 1; i <= 5; i++) await log.append(s, 'N', { i }, 1000 + i);
      const all = await log.read(s, 0, 100);
      expect(all.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all).toMatchObject({ firstSeq: 1, lastSeq: 5 });
      expect(all.records[2]).toEqual({ stream: s, seq: 3, name: 'N', payload: { i: 3 }, ts: 1003 });
      const tail = await log.read(s, 2, 2);
      expect(tail.records.map((r) => r.seq)).toEqual([3, 4]);
      expect((await log.read(s, 5, 10)).records).toEqual([]);
    });

    it('gives a stream one epoch, the same before and after appends', async () => {
      const log = await open();
      const s = stream();
      const before = await log.position(s);
      expect(before.lastSeq).toBe(0);
      expect(typeof before.epoch).toBe('string');
      await log.append(s, 'N', 1, Date.now());
      const after = await log.position(s);
      expect(after).toEqual({ epoch: before.epoch, lastSeq: 1 });
      expect((await log.read(s, 0, 10)).epoch).toBe(before.epoch);
    });

    it('reads an empty stream as firstSeq = lastSeq + 1 with no records', async () => {
      const log = await open();
      expect(await log.read(stream(), 0, 10)).toMatchObject({ lastSeq: 0, firstSeq: 1, records: [] });
    });

    it('keeps payloads verbatim: nested objects, unicode, none', async () => {
      const log = await open();
      const s = stream();
      const payload = { order: { id: 'o-1', px: 1.2345, tags: ['a', 'ü', '💹'] }, note: 'line\nbreak' };
      await log.append(s, 'FILL', payload, 1);
      await log.append(s, 'PING', undefined, 2);
      const { records } = await log.read(s, 0, 10);
      expect(records[0]!.payload).toEqual(payload);
      expect(records[1]).toEqual({ stream: s, seq: 2, name: 'PING', ts: 2 });
    });

    it('gives concurrent appends to one stream distinct, gap-free seqs', async () => {
      const log = await open();
      const s = stream();
      const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(s, 'N', i, 1)));
      expect(seqs.map((r) => r.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('passes every appended record to watch, in seq order per stream, until unsubscribed', async () => {
      const log = await open();
      const s = stream();
      const seen: InboundRecord[] = [];
      const stop = log.watch((record) => record.stream === s && seen.push(record));
      await new Promise((resolve) => setTimeout(resolve, 50)); // a shared log's subscription settles
      for (let i = 0; i < 20; i++) await log.append(s, 'N', i, 1);
      await until(() => seen.length === 20, 3000, '20 watched records');
      expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      stop();
      await log.append(s, 'N', 'after', 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toHaveLength(20);
    });

    it('keeps at most maxMessages per stream, dropping the oldest', async () => {
      const log = await open({ maxMessages: 3, maxAgeMs: 60_000 });
      const s = stream();
      for (let i = 1; i <= 6; i++) await log.append(s, 'N', i, Date.now());
      await log.trim(Date.now());
      const result = await log.read(s, 0, 100);
      expect(result).toMatchObject({ firstSeq: 4, lastSeq: 6 });
      expect(result.records.map((r) => r.seq)).toEqual([4, 5, 6]);
    });

    it('drops records older than maxAgeMs on trim, and seqs go on from where they were', async () => {
      const log = await open({ maxMessages: 100, maxAgeMs: 1000 });
      const s = stream();
      await log.append(s, 'N', 1, 10_000);
      await log.append(s, 'N', 2, 10_500);
      await log.append(s, 'N', 3, 12_000);
      expect(await log.trim(11_200)).toBe(1);
      expect((await log.read(s, 0, 10)).records.map((r) => r.seq)).toEqual([2, 3]);
      await log.trim(20_000);
      expect(await log.read(s, 0, 10)).toMatchObject({ firstSeq: 4, lastSeq: 3, records: [] });
      expect((await log.append(s, 'N', 4, 20_000)).seq).toBe(4);
    });
  });
}
