import { LuaScript } from './lua-script.js';

/*
 * The store's writes. Each script touches the keys of one hash slot only, so the same scripts
 * run on one Redis and on a Redis Cluster:
 * - the record `cd#{callId}` is the commit point: its script alone decides a create or a
 *   compare-and-set;
 * - the mapping `cm#{originalCallId}` and the `{idx}` listing indexes follow in a second step.
 *   Index updates carry the record's (createdMs, version), and `{idx}:versions` keeps the
 *   newest applied per call, so they are idempotent, a late older one changes nothing, and a
 *   listing that finds an index behind its record can safely re-apply the record.
 * Times arrive from the client as strings (the injected clock decides expiry, Redis only backs
 * it up with PEXPIREAT), so no Lua number is ever formatted back into a command argument.
 */

/**
 * KEYS: cd. ARGV: nowMs, expiresAfterSec, expiresAtMs, createdAt, createdMs, state, data.
 * Returns the new version, or nil when a live record holds the callId. An expired record is
 * overwritten and its version keeps counting, so a writer holding the old version cannot win.
 */
export const createRecordScript = new LuaScript(`
local old = redis.call('HGET', KEYS[1], 'expiresAfter')
if old and tonumber(old) * 1000 > tonumber(ARGV[1]) then return false end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[7], 'createdAt', ARGV[4], 'createdMs', ARGV[5],
  'expiresAfter', ARGV[2], 'state', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return version
`);

/**
 * KEYS: cd. ARGV: expectedVersion, nowMs, expiresAfterSec, expiresAtMs, state, data.
 * Returns {version, createdAt, createdMs}, or nil when the record is absent, expired or at
 * another version.
 */
export const compareAndSetRecordScript = new LuaScript(`
local cur = redis.call('HMGET', KEYS[1], 'version', 'expiresAfter', 'createdAt', 'createdMs')
if not cur[1] or not cur[2] then return false end
if tonumber(cur[2]) * 1000 <= tonumber(ARGV[2]) then return false end
if cur[1] ~= ARGV[1] then return false end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'data', ARGV[6], 'state', ARGV[5], 'expiresAfter', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return {version, cur[3], cur[4]}
`);

/**
 * KEYS: cm. ARGV: callId, nowMs, expiresAfterSec, expiresAtMs.
 * Keeps the original id resolving to the call while the call lives: refreshes a mapping that
 * points to it, and writes one that is missing or expired (a create whose mapping write was
 * lost); a live mapping to another call is left alone. Returns 1 when it wrote.
 */
export const refreshMappingScript = new LuaScript(`
local m = redis.call('HMGET', KEYS[1], 'callId', 'expiresAfter')
local live = m[2] and tonumber(m[2]) * 1000 > tonumber(ARGV[2])
if live and m[1] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'callId', ARGV[1], 'expiresAfter', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`);

/**
 * KEYS: versions, callIndex, expiryIndex, stateIndex x4 (PENDING, PROCESSING, PAUSED, ENDED).
 * ARGV: callId, createdMs, version, expiresAtMs, stateSlot (1-4), cdKey, cmKey or ''.
 * Makes the indexes reflect one write of the record, unless they already reflect that write
 * or a newer one (a record created again after expiry has a later createdMs). Returns 1 when
 * it changed the indexes.
 */
export const applyIndexScript = new LuaScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local c, v = string.match(cur, '^(%d+):(%d+):')
  local nc, nv = tonumber(ARGV[2]), tonumber(ARGV[3])
  if tonumber(c) > nc or (tonumber(c) == nc and tonumber(v) >= nv) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3] .. ':' .. ARGV[4])
for i = 4, 7 do redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3 + tonumber(ARGV[5])], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], 'GT', ARGV[4], ARGV[6])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[3], 'GT', ARGV[4], ARGV[7]) end
return 1
`);

/**
 * KEYS: key (a cd#, cm# or ctl# key). ARGV: nowMs.
 * Deletes the key if its record has expired (or Redis already dropped it); returns nil when
 * it went, or the live record's expiresAfter (epoch s) so its sweep entry can be moved there.
 */
export const sweepRecordScript = new LuaScript(`
local e = redis.call('HGET', KEYS[1], 'expiresAfter')
if e and tonumber(e) * 1000 > tonumber(ARGV[1]) then return e end
redis.call('DEL', KEYS[1])
return false
`);

/**
 * KEYS: versions, callIndex, expiryIndex, stateIndex x4.
 * ARGV: key, callId ('' unless key is a cd# key), nowMs, liveExpiresAtMs ('' when the key went).
 * The index half of a sweep (or of pruning a listing entry whose record is gone). A live key's
 * sweep entry moves to its real expiry. A gone key's entries go, but a call's listing entries
 * only while the indexed record has expired, so a call created again in the meantime keeps
 * its own. Returns 1 when a call was unindexed.
 */
export const unindexScript = new LuaScript(`
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[3], 'GT', ARGV[4], ARGV[1])
  return 0
end
local s = redis.call('ZSCORE', KEYS[3], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[3]) then redis.call('ZREM', KEYS[3], ARGV[1]) end
if ARGV[2] == '' then return 0 end
local cur = redis.call('HGET', KEYS[1], ARGV[2])
if cur and tonumber(string.match(cur, ':(%d+)$')) > tonumber(ARGV[3]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
for i = 4, 7 do redis.call('ZREM', KEYS[i], ARGV[2]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`);
