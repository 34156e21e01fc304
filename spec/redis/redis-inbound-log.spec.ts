import { IoredisPort } from '../../src/redis/ioredis-port';
import { RedisInboundLog } from '../../src/redis/redis-inbound-log';
import type { InboundRecord } from '../../src/server/inbound-log';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { until } from '../helpers/wait';

let redis: RedisServer;
const ports: IoredisPort[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(ports.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await redis.stop();
});
let app = 0;
function node(
  keyPrefix: string,
  options: { maxAgeMs?: number; trimScanCount?: number } = {},
): { port: IoredisPort; log: RedisInboundLog } {
  const port = new IoredisPort({ url: redis.url, commandTimeoutMs: 300 });
  ports.push(port);
  const { maxAgeMs, trimScanCount } = options;
  return {
    port,
    log: new RedisInboundLog(port, {
      keyPrefix,
      trimScanCount,
      ...(maxAgeMs !== undefined && { retention: { maxAgeMs } }),
    }),
  };
}

describe('RedisInboundLog across nodes', () => {
  it('passes a record appended on one node to watchers on another, in seq order', async () => {
    const prefix = `x${++app}:`;
    const [a, b] = [node(prefix), node(prefix)];
    await Promise.all([a.log.ready, b.log.ready]);
    const seen: InboundRecord[] = [];
    b.log.watch((r) => seen.push(r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 30; i++) await (i % 2 ? a : b).log.append('principal:p', 'FILL', { i }, i);
    await until(() => seen.length === 30, 3000, '30 records on node b');
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(seen[4]).toMatchObject({ payload: { i: 4 }, name: 'FILL' });
  });

  it('trims by age every stream on Redis, also those this node never wrote nor watched, a bounded page per call', async () => {
    const prefix = `x${++app}:`;
    const writer = node(prefix, { maxAgeMs: 1000 });
    const other = node(`y${app}:`, { maxAgeMs: 1000 }); // another app on the same Redis: not ours to trim
    const sweeper = node(prefix, { maxAgeMs: 1000, trimScanCount: 10 });
    await Promise.all([writer.log.ready, other.log.ready, sweeper.log.ready]);
    const STREAMS = 60;
    for (let s = 0; s < STREAMS; s++) {
      for (let i = 0; i < 3; i++) await writer.log.append(`principal:p${s}`, 'FILL', i, 1000); // old
      await writer.log.append(`principal:p${s}`, 'FILL', 'new', 5000); // within maxAgeMs of 5500
      await other.log.append(`principal:p${s}`, 'FILL', 'theirs', 1000);
    }
    const perCall: number[] = [];
    do perCall.push(await sweeper.log.trim(5500));
    while (!sweeper.log.trimPassDone && perCall.length < 500);
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(STREAMS * 3);
    expect(perCall.length).toBeGreaterThan(1); // one call did not do it all: paged
    expect(Math.max(...perCall)).toBeLessThan(STREAMS * 3);
    for (let s = 0; s < STREAMS; s += 7) {
      const held = await writer.log.read(`principal:p${s}`, 0, 10);
      expect(held.records.map((r) => r.payload)).toEqual(['new']);
      expect(held).toMatchObject({ firstSeq: 4, lastSeq: 4 });
      expect((await other.log.read(`principal:p${s}`, 0, 10)).records).toHaveLength(1);
    }
  });

  it('resumes on any node: a read on another node returns what was appended', async () => {
    const prefix = `x${++app}:`;
    const [a, b] = [node(prefix), node(prefix)];
    await Promise.all([a.log.ready, b.log.ready]);
    for (let i = 0; i < 5; i++) await a.log.append('principal:p', 'FILL', i, 1);
    const fromB = await b.log.read('principal:p', 2, 10);
    expect(fromB.epoch).toBe((await a.log.position('principal:p')).epoch);
    expect(fromB.records.map((r) => r.payload)).toEqual([2, 3, 4]);
  });

  it('changes the epoch when Redis lost the data, so an old cursor is a gap, not a silent restart', async () => {
    const prefix = `x${++app}:`;
    const a = node(prefix);
    await a.log.ready;
    await a.log.append('principal:p', 'FILL', 1, 1);
    const before = await a.log.position('principal:p');
    await a.port.command('FLUSHALL', []);
    const after = await a.log.position('principal:p');
    expect(after.lastSeq).toBe(0);
    expect(after.epoch).not.toBe(before.epoch);
  });

  it('rejects an append while Redis is unreachable, and takes appends again once it is back', async () => {
    const prefix = `x${++app}:`;
    const a = node(prefix);
    await a.log.ready;
    await a.log.append('principal:p', 'FILL', 1, 1);
    redis.freeze();
    try {
      await expect(a.log.append('principal:p', 'FILL', 2, 1)).rejects.toThrow(/timed out/i);
    } finally {
      redis.thaw();
    }
    await until(() => a.port.isConnected, 3000, 'reconnected');
    const next = await a.log.append('principal:p', 'FILL', 3, 1);
    // The timed-out append may still have run once Redis thawed: the seq is 2 or 3, never reused.
    expect([2, 3]).toContain(next.seq);
  });
});
