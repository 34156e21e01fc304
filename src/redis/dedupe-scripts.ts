import type { RedisScript } from './redis-port';

/** The usual outcome's value (an ack without a response), written by COMPLETE itself. No quote or backslash in it. */
export const DONE_OK = 'D|' + JSON.stringify({ ok: true });

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

/**
 * KEYS: the session's waiter marker (only to name the batch's slot; not touched). ARGV: owner,
 * unknown outcome JSON, lease ms, the batch's ttl ms, the entries' common key part
 * (`<prefix>{<tag>}d:`), then each entry's id part. Claims each absent entry. Answers one
 * string of codes, one per entry: 'S' claimed now, 'P' another owner's live claim, 'M' a claim of
 * this owner, 'D' remembered; then the 'D' entries' values in order. The usual reply (all new)
 * is one short string, not one bulk string per entry.
 */
export const CLAIM: RedisScript = {
  name: 'dedupe_claim',
  lua: `${PRELUDE}
local claim = 'P|' .. owner .. '|' .. (now + tonumber(ARGV[3]))
local ttl = ARGV[4]
local base = ARGV[5]
local codes = {}
local out = {''}
for i = 6, #ARGV do
  local key = base .. ARGV[i]
  -- claims an absent key, else answers its value without touching it (Redis 7.0: NX with GET)
  local v = redis.call('SET', key, claim, 'NX', 'PX', ttl, 'GET')
  if not v then
    codes[i - 5] = 'S'
  else
    local r = inspect(key, v)
    if r == 'P' or r == 'M' then
      codes[i - 5] = r
    else
      codes[i - 5] = 'D'
      out[#out + 1] = r
    end
  end
end
out[1] = table.concat(codes)
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
 * KEYS: the session's waiter marker (see WATCH). ARGV: the batch's ttl ms, the entries' common
 * key part (`<prefix>{<tag>}d:`), how many entries take the usual outcome (an ack without a
 * response: DONE_OK), their id parts, then per other entry its id part and its value ('D|…').
 * Records them; publishes them only while a node waits on the session.
 */
export const COMPLETE: RedisScript = {
  name: 'dedupe_complete',
  lua: `local ttl = ARGV[1]
local base = ARGV[2]
local usual = 3 + tonumber(ARGV[3])
for i = 4, usual do
  redis.call('SET', base .. ARGV[i], '${DONE_OK}', 'PX', ttl)
end
for i = usual + 1, #ARGV, 2 do
  redis.call('SET', base .. ARGV[i], ARGV[i + 1], 'PX', ttl)
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  for i = 4, usual do
    redis.call('PUBLISH', base .. ARGV[i], '${DONE_OK}')
  end
  for i = usual + 1, #ARGV, 2 do
    redis.call('PUBLISH', base .. ARGV[i], ARGV[i + 1])
  end
end
return usual - 3 + (#ARGV - usual) / 2`,
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
