import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCallStore } from '../../src/adapters/redis/redis-call-store.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { describeCallStoreContract, sampleCall } from '../contract/call-store-contract.js';
import { REDIS_URL, redisAvailable } from '../support/redis.js';
import { deleteKeys } from '../integration/redis-test-keys.js';

const available = await redisAvailable();

describe.skipIf(!available)('RedisCallStore', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  describeCallStoreContract('RedisCallStore', async ({ ttlMs, now }) => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    return {
      store: new RedisCallStore({ redis, keys, ttlMs, now }),
      cleanup: () => deleteKeys(redis, keys.prefix),
    };
  });

  it('keeps every key of a call in its {callId} hash slot and sets real expiries', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const store = new RedisCallStore({ redis, keys, ttlMs: 60_000 });
    try {
      const call = sampleCall({ callId: 'MODIFIED-x1', originalCallId: 'x1' });
      const created = await store.create(call);
      expect(await redis.exists(keys.call('MODIFIED-x1'))).toBe(1);
      expect(keys.call('MODIFIED-x1')).toContain('cd#{MODIFIED-x1}');
      expect(keys.mapping('x1')).toContain('cm#{x1}');
      expect(await redis.pexpiretime(keys.call('MODIFIED-x1'))).toBe(created.expiresAfter * 1000);
      expect(await redis.pexpiretime(keys.mapping('x1'))).toBe(created.expiresAfter * 1000);
      expect(await redis.zrange(keys.callStateIndex('PENDING'), 0, -1)).toEqual(['MODIFIED-x1']);
    } finally {
      await store.close();
      await deleteKeys(redis, keys.prefix);
    }
  });

  it('drops index entries of calls Redis has already expired', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const store = new RedisCallStore({ redis, keys, ttlMs: 60_000 });
    try {
      const gone = sampleCall();
      const kept = sampleCall();
      await store.create(gone);
      await store.create(kept);
      // As if Redis' own PEXPIREAT had fired.
      await redis.del(keys.call(gone.callId));
      expect((await store.list()).map((s) => s.call.callId)).toEqual([kept.callId]);
      expect(await redis.zrange(keys.callIndex, 0, -1)).toEqual([kept.callId]);
      expect(await redis.zrange(keys.callStateIndex('PENDING'), 0, -1)).toEqual([kept.callId]);
    } finally {
      await store.close();
      await deleteKeys(redis, keys.prefix);
    }
  });
});
