import type { RedisScript } from './redis-port';

/**
 * One stream on Redis: `{tag}q` the last seq (INCR), `{tag}e` the epoch (set
 * once, by the first node that needs it), `{tag}x` a Redis Stream whose entry
 * ids are `0-<seq>`, so a resume is one XRANGE. A lost Redis dataset loses
 * `{tag}e` too: the next epoch differs and a cursor of the old one is a gap
 * (`EPOCH_CHANGED`), never a silent restart at seq 1.
 */
const EPOCH = `local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end`;

/** KEYS: seq, epoch, stream. ARGV: epoch candidate, channel, ts, name, payload JSON ('' for none), stream name, max messages. */
export const APPEND: RedisScript = {
  name: 'inbound_append',
  lua: `${EPOCH}
local seq = redis.call('INCR', KEYS[1])
if ARGV[5] == '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[7], '0-' .. seq, 't', ARGV[3], 'n', ARGV[4])
else
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[7], '0-' .. seq, 't', ARGV[3], 'n', ARGV[4], 'p', ARGV[5])
end
redis.call('PUBLISH', ARGV[2], ARGV[6] .. '\\n' .. seq .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[5])
return {epoch, seq}`,
};

/** KEYS: seq, epoch, stream. ARGV: epoch candidate, after seq, limit. Returns {epoch, lastSeq, firstSeq, entries}. */
export const READ: RedisScript = {
  name: 'inbound_read',
  lua: `${EPOCH}
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local head = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local first = last + 1
if head[1] then first = tonumber(string.sub(head[1][1], 3)) end
local entries = {}
if tonumber(ARGV[3]) > 0 then
  entries = redis.call('XRANGE', KEYS[3], '0-' .. (tonumber(ARGV[2]) + 1), '+', 'COUNT', ARGV[3])
end
return {epoch, last, first, entries}`,
};

/** KEYS: stream. ARGV: oldest ts kept. Drops the head entries older than it (10,000 at most per call, so Redis is never blocked long); returns how many. */
export const TRIM_AGE: RedisScript = {
  name: 'inbound_trim_age',
  lua: `local dropped = 0
for _ = 1, 100 do
  local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 100)
  if not head[1] then return dropped end
  local keep = nil
  for _, entry in ipairs(head) do
    local ts = nil
    for i = 1, #entry[2], 2 do
      if entry[2][i] == 't' then ts = tonumber(entry[2][i + 1]) end
    end
    if ts ~= nil and ts >= tonumber(ARGV[1]) then keep = entry[1] break end
  end
  if keep then
    dropped = dropped + redis.call('XTRIM', KEYS[1], 'MINID', keep)
    return dropped
  end
  for _, entry in ipairs(head) do redis.call('XDEL', KEYS[1], entry[1]) end
  dropped = dropped + #head
end
return dropped`,
};
