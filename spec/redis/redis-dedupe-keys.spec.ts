import { RedisDedupeStore } from '../../src/redis/redis-dedupe-store';
import { dedupeRedisKey } from '../../src/redis/redis-keys';
import type { RedisPort } from '../../src/redis/redis-port';
import { sessionKey } from '../../src/server/session-registry';

/** A port that is never reached: these cases only build keys. */
const idlePort = {
  connected: () => new Promise<void>(() => undefined),
  command: () => Promise.resolve(''),
  script: () => Promise.resolve([]),
  subscribe: () => Promise.resolve(() => undefined),
  onConnection: () => () => undefined,
  close: () => Promise.resolve(),
} as unknown as RedisPort;

describe('RedisDedupeStore keys', () => {
  it('builds the same Redis key and tag as dedupeRedisKey, whatever the order of sessions', () => {
    const store = new RedisDedupeStore(idlePort, { keyPrefix: 'p:' });
    // The store keeps a server key as its tag and id part; the scripts join them to the Redis key.
    const inner = store as unknown as {
      refOf(k: string): { tag: string; id: string };
      base(tag: string): string;
    };
    const redisKeyOf = (key: string) => {
      const { tag, id } = inner.refOf(key);
      return { tag, redisKey: inner.base(tag) + id };
    };
    const sessions = [
      sessionKey('alice', 'desk-1'),
      sessionKey('alice', 'desk-12'),
      sessionKey('al', 'ice5:desk-1'),
      sessionKey('1:a', '2:b:'),
      sessionKey('\uD800', 'x'),
    ];
    const ids = ['m-1', 'm-2', '3:x:', '', '\uDC00lone', 'ü:🙂'];
    const keys = [
      ...sessions.flatMap((s) => ids.map((id) => s + id)),
      ...ids.map((id) => sessions[0] + id),
      'not-a-session-key',
      '5:abc',
      sessions[1]!.slice(0, -1),
    ];
    for (let round = 0; round < 2; round++) {
      for (const key of round === 0 ? keys : [...keys].reverse()) {
        expect(redisKeyOf(key)).toEqual(dedupeRedisKey('p:', key));
      }
    }
    store.close();
  });
});
