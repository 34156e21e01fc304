import type { RedisScript } from './redis-port';

/**
 * Values: `P|<owner>|<lease until, Redis ms>` while a node runs the handler,
 * `D|<outcome JSON>` once answered. Lease times come from Redis' own clock
 * (`TIME`), so node clocks may drift. A claim whose lease ran out becomes
 * `D|OUTCOME_UNKNOWN` (its node died mid-handler): never a second run.
 *
 * Each script takes the keys of one batch (one session: one hash tag, one
 * Cluster slot) and answers one result per key, so a burst of messages costs
 * one call per session per event-loop turn.
 */
const PRELUDE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = ARGV[1]
-- 'P' (live claim of another owner), 'M' (a claim of this owner) or the 'D|' value
local function inspect(key, v)
  if string.sub(v, 1, 2) ~= 'P|' then return v end
  local holder, lease = string.match(v, '^P|([^|]*)|(%d+)$')
  if holder == owner then return 'M' end
  if tonumber(lease) ~= nil and tonumber(lease) >= now then return 'P' end
  local unknown = 'D|' .. ARGV[2]
  redis.call('SET', key, unknown, 'KEEPTTL')
  redis.call('PUBLISH', key, unknown)
  return unknown
end`;

/** KEYS: entries. ARGV: owner, unknown outcome JSON, lease ms, the batch's ttl ms. 'S' when claimed now. */
export const CLAIM: RedisScript = {
  name: 'dedupe_claim',
  lua: `${PRELUDE}
local out = {}
local claim = 'P|' .. owner .. '|' .. (now + tonumber(ARGV[3]))
for i, key in ipairs(KEYS) do
  -- claims an absent key, else answers its value without touching it (Redis 7.0: NX with GET)
  local v = redis.call('SET', key, claim, 'NX', 'PX', ARGV[4], 'GET')
  if not v then out[i] = 'S' else out[i] = inspect(key, v) end
end
return out`,
};

/** KEYS: entries. ARGV: owner, unknown outcome JSON. Like CLAIM without claiming: '' when absent. */
export const PEEK: RedisScript = {
  name: 'dedupe_peek',
  lua: `${PRELUDE}
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if not v then out[i] = '' else out[i] = inspect(key, v) end
end
return out`,
};

/** KEYS: entries. ARGV: owner, lease ms. Extends this owner's claims; 0 for one that is no longer ours. */
export const RENEW: RedisScript = {
  name: 'dedupe_renew',
  lua: `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mine = 'P|' .. ARGV[1] .. '|'
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v and string.sub(v, 1, string.len(mine)) == mine then
    redis.call('SET', key, mine .. (now + tonumber(ARGV[2])), 'KEEPTTL')
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`,
};

/**
 * KEYS: the session's waiter marker (see WATCH), then the entries. ARGV: the batch's ttl ms, then per
 * key its outcome value ('D|…'). Records them; publishes them only while a node waits on the session.
 */
export const COMPLETE: RedisScript = {
  name: 'dedupe_complete',
  lua: `local ttl = ARGV[1]
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl)
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  for i = 2, #KEYS do
    redis.call('PUBLISH', KEYS[i], ARGV[i])
  end
end
return #KEYS - 1`,
};

/**
 * KEYS: the session's waiter marker, one entry. ARGV: owner, unknown outcome JSON, marker ttl ms.
 * Marks that a node waits on the session (so COMPLETE publishes), then answers as PEEK.
 */
export const WATCH: RedisScript = {
  name: 'dedupe_watch',
  lua: `${PRELUDE}
redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
local v = redis.call('GET', KEYS[2])
if not v then return '' end
return inspect(KEYS[2], v)`,
};
