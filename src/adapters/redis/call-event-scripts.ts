import { LuaScript } from './lua-script.js';

/*
 * A group of appends is two steps, each script on one hash slot (so it runs on a Redis
 * Cluster): the `{ev}` slot hands out the ids and adds the events to the all-calls stream, then
 * each call's own slot adds that call's events to the call's stream under the same ids.
 */

/**
 * KEYS: sequence, allEvents, eventExpiry.
 * ARGV: nowMicros, allMaxLen, expiresAtMs, then callId and eventJson of each event, in order.
 * Picks the next ids (see event-id.ts) and adds the events to the all-calls stream under them.
 * Returns the ids as decimal strings, in the events' order.
 */
export const appendAllEventsScript = new LuaScript(`
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local id = math.max(last + 1, tonumber(ARGV[1]))
local ids = {}
for i = 4, #ARGV, 2 do
  local text = string.format('%.0f', id)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], text .. '-0', 'c', ARGV[i], 'e', ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[i])
  ids[#ids + 1] = text
  id = id + 1
end
redis.call('SET', KEYS[1], ids[#ids])
return ids
`);

/**
 * KEYS: callEvents. ARGV: callId, callMaxLen, backstopExpireAtMs, then id and eventJson of each
 * of the call's events, in order.
 * Adds each event to the call's stream as `<id>-0`. Appends of one call arrive in id order from
 * one node; should two nodes append to one call at once (the owner and a node ending the call
 * as owner-lost) and the later id arrive first, the entry goes right after the newest one and
 * keeps its id in field `i`, so it is stored rather than refused.
 * An id the stream already holds (either way) is skipped, so a history repair (see
 * `repairHistories`) and the append it raced with, or an append retried after a lost reply,
 * store each event once. The check costs nothing in the usual case: an id above the stream's
 * newest entry cannot be there yet. Returns how many events were added.
 */
export const appendCallEventScript = new LuaScript(`
local added = 0
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local entry = id .. '-0'
  local extra = {}
  local present = false
  local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
  if top then
    local ms, seq = string.match(top[1], '^(%d+)-(%d+)$')
    if tonumber(ms) >= tonumber(id) then
      present = #redis.call('XRANGE', KEYS[1], entry, entry) > 0
      if not present then
        for _, later in ipairs(redis.call('XRANGE', KEYS[1], '(' .. entry, '+', 'COUNT', 1000)) do
          local f = later[2]
          for j = 1, #f, 2 do
            if f[j] == 'i' and f[j + 1] == id then present = true end
          end
        end
      end
      entry = ms .. '-' .. string.format('%.0f', tonumber(seq) + 1)
      extra = {'i', id}
    end
  end
  if not present then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], entry, 'c', ARGV[1], 'e', ARGV[i + 1], unpack(extra))
    added = added + 1
  end
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return added
`);

/**
 * KEYS: callEvents. Where a history repair starts looking: the id of the call stream's newest
 * entry (its older `i` field when that entry was stored out of id order), nothing for no stream.
 */
export const newestCallEventIdScript = new LuaScript(`
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if not top then return false end
local f = top[2]
for j = 1, #f, 2 do
  if f[j] == 'i' then return f[j + 1] end
end
return string.match(top[1], '^(%d+)-')
`);

/**
 * KEYS: callEvents. The first step of sweeping a call's events: returns the newest entry id of
 * the call's stream, then the all-calls entry ids of its events (nothing for no stream).
 */
export const callEventIdsScript = new LuaScript(`
local entries = redis.call('XRANGE', KEYS[1], '-', '+')
if #entries == 0 then return {} end
local ids = {entries[#entries][1]}
for _, entry in ipairs(entries) do
  local id = entry[1]
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == 'i' then id = f[i + 1] .. '-0' end
  end
  ids[#ids + 1] = id
end
return ids
`);

/**
 * KEYS: allEvents, eventExpiry. ARGV: callId, nowMs, entry ids...
 * Deletes an expired call's entries from the all-calls stream and forgets its expiry; returns
 * how many there were, or -1 when the call turned out to be written to again.
 */
export const sweepAllEventsScript = new LuaScript(`
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if score and tonumber(score) > tonumber(ARGV[2]) then return -1 end
for i = 3, #ARGV, 500 do
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('ZREM', KEYS[2], ARGV[1])
return #ARGV - 2
`);

/**
 * KEYS: callEvents. ARGV: the newest swept entry id.
 * Drops the swept entries of the call's stream, keeping any appended since, and the stream
 * itself once it is empty.
 */
export const trimCallEventsScript = new LuaScript(`
local ms, seq = string.match(ARGV[1], '^(%d+)-(%d+)$')
redis.call('XTRIM', KEYS[1], 'MINID', ms .. '-' .. string.format('%.0f', tonumber(seq) + 1))
if redis.call('XLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
`);
