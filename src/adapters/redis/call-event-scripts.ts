import { LuaScript } from './lua-script.js';

/**
 * KEYS: sequence, allEvents, callEvents, eventExpiry.
 * ARGV: nowMicros, callId, eventJson, allMaxLen, callMaxLen, expiresAtMs, backstopExpireAtMs.
 * Picks the next id and adds the event under it to both streams, so the all-calls feed and the
 * per-call feed share ids. Returns the id as a decimal string.
 */
export const appendEventScript = new LuaScript(`
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local id = math.max(last + 1, tonumber(ARGV[1]))
local text = string.format('%.0f', id)
redis.call('SET', KEYS[1], text)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], text .. '-0', 'c', ARGV[2], 'e', ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], text .. '-0', 'c', ARGV[2], 'e', ARGV[3])
redis.call('PEXPIREAT', KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[2])
return text
`);

/**
 * KEYS: callEvents, allEvents, eventExpiry. ARGV: callId, nowMs.
 * Deletes an expired call's events from both streams; returns how many there were (0 when the
 * call turned out to be written to again).
 */
export const sweepCallEventsScript = new LuaScript(`
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if score and tonumber(score) > tonumber(ARGV[2]) then return 0 end
local entries = redis.call('XRANGE', KEYS[1], '-', '+')
local ids = {}
for i, entry in ipairs(entries) do
  ids[#ids + 1] = entry[1]
  if #ids == 500 then
    redis.call('XDEL', KEYS[2], unpack(ids))
    ids = {}
  end
end
if #ids > 0 then redis.call('XDEL', KEYS[2], unpack(ids)) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return #entries
`);
