import type { RedisPort } from './redis-port';

/** Policies under which Redis may drop a key of ours to make room: an evicted claim is a second run. */
const SAFE_POLICY = 'noeviction';

/**
 * Waits for Redis and refuses one that may evict keys: with an evicting
 * `maxmemory-policy` a remembered message id can vanish before its window
 * ends, and its resend would run the handler again.
 */
export async function checkRedis(port: RedisPort, timeoutMs: number): Promise<void> {
  await port.connected(timeoutMs);
  const info = String(await port.command('INFO', ['memory']));
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy !== undefined && policy !== SAFE_POLICY) {
    throw new Error(
      `Redis runs with maxmemory-policy ${policy}, which evicts keys: an evicted message id would be processed twice. ` +
        `Set \`maxmemory-policy noeviction\` (CONFIG SET maxmemory-policy noeviction, or in redis.conf); ` +
        'a full Redis then refuses new messages (DEDUPE_FULL) instead of forgetting old ones.',
    );
  }
}
