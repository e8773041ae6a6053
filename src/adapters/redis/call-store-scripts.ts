import { LuaScript } from './lua-script.js';

/*
 * The store's writes, each atomic on one Redis. Times arrive from the client as strings (the
 * injected clock decides expiry, Redis only backs it up with PEXPIREAT), so no Lua number is
 * ever formatted back into a command argument.
 */

/**
 * KEYS: cd, cm, callIndex, expiryIndex, stateIndex x4 (PENDING, PROCESSING, PAUSED, ENDED).
 * ARGV: nowMs, expiresAfterSec, expiresAtMs, createdAt, createdMs, state, data, callId, stateSlot (1-4).
 * Returns the new version, or nil when a live record holds the callId. An expired record is
 * overwritten and its version keeps counting, so a writer holding the old version cannot win.
 */
export const createCallScript = new LuaScript(`
local old = redis.call('HGET', KEYS[1], 'expiresAfter')
if old and tonumber(old) * 1000 > tonumber(ARGV[1]) then return false end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[7], 'createdAt', ARGV[4], 'createdMs', ARGV[5],
  'expiresAfter', ARGV[2], 'state', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'callId', ARGV[8], 'expiresAfter', ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
for i = 5, 8 do redis.call('ZREM', KEYS[i], ARGV[8]) end
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[8])
redis.call('ZADD', KEYS[4 + tonumber(ARGV[9])], ARGV[5], ARGV[8])
redis.call('ZADD', KEYS[4], ARGV[3], KEYS[1])
redis.call('ZADD', KEYS[4], ARGV[3], KEYS[2])
return version
`);

/**
 * KEYS: cd, cm, expiryIndex, stateIndex x4.
 * ARGV: expectedVersion, nowMs, expiresAfterSec, expiresAtMs, state, data, callId, stateSlot.
 * Returns {version, createdAt}, or nil when the record is absent, expired or at another version.
 * The mapping is refreshed with the call so late events by the original id still resolve.
 */
export const compareAndSetScript = new LuaScript(`
local cur = redis.call('HMGET', KEYS[1], 'version', 'expiresAfter', 'state', 'createdMs', 'createdAt')
if not cur[1] or not cur[2] then return false end
if tonumber(cur[2]) * 1000 <= tonumber(ARGV[2]) then return false end
if cur[1] ~= ARGV[1] then return false end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[6], 'state', ARGV[5], 'expiresAfter', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
if cur[3] ~= ARGV[5] then
  for i = 4, 7 do redis.call('ZREM', KEYS[i], ARGV[7]) end
  redis.call('ZADD', KEYS[3 + tonumber(ARGV[8])], cur[4], ARGV[7])
end
redis.call('ZADD', KEYS[3], ARGV[4], KEYS[1])
local m = redis.call('HMGET', KEYS[2], 'callId', 'expiresAfter')
if m[1] == ARGV[7] and m[2] and tonumber(m[2]) * 1000 > tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[2], 'expiresAfter', ARGV[3])
  redis.call('PEXPIREAT', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[4], KEYS[2])
end
return {version, cur[5]}
`);

/**
 * KEYS: key, expiryIndex, callIndex, stateIndex x4. ARGV: nowMs, callId ('' unless key is cd#).
 * Deletes the key if its record has expired (or Redis already dropped it) and unindexes it;
 * returns 1 when a record went, 0 when it turned out to be live.
 */
export const sweepKeyScript = new LuaScript(`
local e = redis.call('HGET', KEYS[1], 'expiresAfter')
if e and tonumber(e) * 1000 > tonumber(ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[2], KEYS[1])
if ARGV[2] ~= '' then
  for i = 3, 7 do redis.call('ZREM', KEYS[i], ARGV[2]) end
end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * KEYS: cd, callIndex, stateIndex x4. ARGV: callId.
 * Drops index entries of a call whose key Redis has already expired; checked inside the script
 * so a call created again in the meantime keeps its entries.
 */
export const pruneIndexScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, 6 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`);
