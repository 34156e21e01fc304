import type { RedisScript } from './redis-port';

/**
 * Values: `P|<owner>|<lease until, Redis ms>` while a node runs the handler,
 * `D|<outcome JSON>` once answered. Lease times come from Redis' own clock
 * (`TIME`), so node clocks may drift. A claim whose lease ran out becomes
 * `D|OUTCOME_UNKNOWN` (its node died mid-handler): never a second run.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Shared tail: returns 'P' (live claim of another owner), 'M' (a claim of this owner) or the 'D|' value. */
const INSPECT = `if string.sub(v, 1, 2) ~= 'P|' then return v end
local owner, lease = string.match(v, '^P|([^|]*)|(%d+)$')
if owner == ARGV[1] then return 'M' end
if tonumber(lease) ~= nil and tonumber(lease) >= now then return 'P' end
local unknown = 'D|' .. ARGV[2]
redis.call('SET', KEYS[1], unknown, 'KEEPTTL')
redis.call('PUBLISH', KEYS[1], unknown)
return unknown`;

/** KEYS: entry. ARGV: owner, unknown outcome JSON, lease ms, ttl ms. 'S' when claimed now. */
export const CLAIM: RedisScript = {
  name: 'dedupe_claim',
  numberOfKeys: 1,
  lua: `${NOW}
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'P|' .. ARGV[1] .. '|' .. (now + tonumber(ARGV[3])), 'PX', ARGV[4])
  return 'S'
end
${INSPECT}`,
};

/** KEYS: entry. ARGV: owner, unknown outcome JSON. Like CLAIM without claiming: '' when absent. */
export const PEEK: RedisScript = {
  name: 'dedupe_peek',
  numberOfKeys: 1,
  lua: `${NOW}
local v = redis.call('GET', KEYS[1])
if not v then return '' end
${INSPECT}`,
};

/** KEYS: entry. ARGV: owner, lease ms. Extends this owner's claim; 0 when it is no longer ours. */
export const RENEW: RedisScript = {
  name: 'dedupe_renew',
  numberOfKeys: 1,
  lua: `${NOW}
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, string.len(ARGV[1]) + 3) ~= 'P|' .. ARGV[1] .. '|' then return 0 end
redis.call('SET', KEYS[1], 'P|' .. ARGV[1] .. '|' .. (now + tonumber(ARGV[2])), 'KEEPTTL')
return 1`,
};

/** KEYS: entry. ARGV: outcome value ('D|…'), ttl ms. Records the outcome and wakes the nodes waiting for it. */
export const COMPLETE: RedisScript = {
  name: 'dedupe_complete',
  numberOfKeys: 1,
  lua: `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1`,
};
