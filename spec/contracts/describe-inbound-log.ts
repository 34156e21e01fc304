import type { InboundLog, InboundRecord, InboundRetention } from '../../src/server/inbound-log';

/** Builds a fresh, empty log with this retention (the suite closes it after each case). */
export type MakeInboundLog = (retention: InboundRetention) => InboundLog | Promise<InboundLog>;

const RETENTION: InboundRetention = { maxMessages: 10_000, maxAgeMs: 600_000 };
const T0 = 1_700_000_000_000;

/**
 * The `InboundLog` port's contract (DESIGN §6), run unchanged against every
 * implementation: memory, file, Redis. Only the port's semantics are checked
 * here; what a backend adds (durability, sharing) has its own spec.
 */
export function describeInboundLog(name: string, make: MakeInboundLog): void {
  describe(`InboundLog contract: ${name}`, () => {
    const opened: InboundLog[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close?.()));
    });
    async function open(retention: Partial<InboundRetention> = {}): Promise<InboundLog> {
      const log = await make({ ...RETENTION, ...retention });
      opened.push(log);
      await log.ready;
      return log;
    }
    const appendAll = async (
      log: InboundLog,
      stream: string,
      n: number,
      now = T0,
    ): Promise<InboundRecord[]> => {
      const out: InboundRecord[] = [];
      for (let i = 1; i <= n; i++) out.push(await log.append(stream, 'FILL', { i }, now));
      return out;
    };

    it('numbers each stream from 1, by 1, independently of the others', async () => {
      const log = await open();
      expect(await log.append('a', 'FILL', { qty: 1 }, T0)).toEqual({
        stream: 'a',
        seq: 1,
        name: 'FILL',
        payload: { qty: 1 },
        ts: T0,
      });
      expect((await log.append('b', 'FILL', 1, T0)).seq).toBe(1);
      expect((await log.append('a', 'FILL', 2, T0)).seq).toBe(2);
      expect(await log.position('a')).toEqual({ epoch: expect.any(String), lastSeq: 2 });
      expect((await log.position('b')).lastSeq).toBe(1);
    });

    it('gives concurrent appends contiguous seqs, each its own', async () => {
      const log = await open();
      const records = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append('s', 'N', i, T0)));
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(records.map((r) => r.payload)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      const read = await log.read('s', 0, 1000);
      expect(read.records.map((r) => r.payload)).toEqual(records.map((r) => r.payload));
    });

    it('reads what came after a seq, ascending, at most `limit`, with the bounds', async () => {
      const log = await open();
      await appendAll(log, 's', 10);
      const { epoch } = await log.position('s');
      const after4 = await log.read('s', 4, 3);
      expect(after4).toMatchObject({ epoch, firstSeq: 1, lastSeq: 10 });
      expect(after4.records.map((r) => r.seq)).toEqual([5, 6, 7]);
      expect(after4.records[0]).toEqual({ stream: 's', seq: 5, name: 'FILL', payload: { i: 5 }, ts: T0 });
      expect((await log.read('s', 10, 100)).records).toEqual([]);
      expect(await log.read('s', 0, 0)).toEqual({ epoch, firstSeq: 1, lastSeq: 10, records: [] });
    });

    it('answers for a stream that never had a record: lastSeq 0, firstSeq 1, an epoch that stays', async () => {
      const log = await open();
      await log.append('other', 'X', 1, T0);
      const { epoch } = await log.position('nobody');
      expect(epoch.length).toBeGreaterThan(0);
      expect(await log.read('nobody', 0, 10)).toEqual({ epoch, lastSeq: 0, firstSeq: 1, records: [] });
      expect(await log.position('nobody')).toEqual({ epoch, lastSeq: 0 });
      // The epoch is the stream's (one per log, or one per stream as on Redis): appends keep it.
      await log.append('nobody', 'X', 1, T0);
      expect((await log.position('nobody')).epoch).toBe(epoch);
    });

    it('keeps one non-empty epoch for the life of the log', async () => {
      const log = await open();
      const before = (await log.position('s')).epoch;
      await appendAll(log, 's', 3);
      expect(typeof before).toBe('string');
      expect(before.length).toBeGreaterThan(0);
      expect((await log.position('s')).epoch).toBe(before);
      expect((await log.read('s', 0, 1)).epoch).toBe(before);
    });

    it('keeps an omitted payload omitted and a nested one intact', async () => {
      const log = await open();
      await log.append('s', 'PING', undefined, T0);
      const nested = { order: { id: 'o-1', fills: [{ px: 1.1, qty: 2 }], note: null } };
      await log.append('s', 'FILL', nested, T0);
      const [ping, fill] = (await log.read('s', 0, 10)).records;
      expect(ping!.payload).toBeUndefined();
      expect(fill!.payload).toEqual(nested);
    });

    it('tells watchers of every record appended from then on, in seq order, until unwatched', async () => {
      const log = await open();
      await log.append('s', 'BEFORE', 0, T0);
      const seen: Array<[string, number]> = [];
      const unwatch = log.watch((r) => seen.push([r.stream, r.seq]));
      await Promise.all([
        log.append('s', 'A', 1, T0),
        log.append('t', 'A', 1, T0),
        log.append('s', 'A', 2, T0),
      ]);
      await until(() => seen.length >= 3);
      unwatch();
      await log.append('s', 'AFTER', 3, T0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.filter(([s]) => s === 's')).toEqual([
        ['s', 2],
        ['s', 3],
      ]);
      expect(seen).toContainEqual(['t', 1]);
      expect(seen).toHaveLength(3);
    });

    it('keeps at most maxMessages per stream: the oldest go, seqs go on', async () => {
      const log = await open({ maxMessages: 3 });
      await appendAll(log, 's', 5);
      await appendAll(log, 'small', 2);
      const read = await log.read('s', 0, 100);
      expect(read).toMatchObject({ firstSeq: 3, lastSeq: 5 });
      expect(read.records.map((r) => r.seq)).toEqual([3, 4, 5]);
      expect((await log.read('s', 1, 100)).records.map((r) => r.seq)).toEqual([3, 4, 5]);
      expect((await log.read('small', 0, 100)).records).toHaveLength(2);
    });

    it('trim(now) drops records older than maxAgeMs and says how many; seqs go on', async () => {
      const log = await open({ maxAgeMs: 1000 });
      await log.append('s', 'OLD', 1, T0);
      await log.append('s', 'OLD', 2, T0 + 100);
      await log.append('s', 'NEW', 3, T0 + 900);
      expect(await log.trim(T0 + 1050)).toBe(1);
      expect((await log.read('s', 0, 10)).records.map((r) => r.seq)).toEqual([2, 3]);
      expect(await log.trim(T0 + 5000)).toBe(2);
      const empty = await log.read('s', 0, 10);
      expect(empty).toMatchObject({ lastSeq: 3, firstSeq: 4, records: [] });
      expect((await log.append('s', 'NEXT', 4, T0 + 5000)).seq).toBe(4);
    });
  });
}

async function until(done: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for watchers');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
