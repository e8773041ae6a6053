import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyIndexScript } from '../../src/adapters/redis/call-store-scripts.js';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisCallStore } from '../../src/adapters/redis/redis-call-store.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { openRedis } from '../../src/adapters/redis/redis-connection.js';
import { captureLog } from '../support/capture-log.js';
import { CuttableProxy } from '../support/cuttable-proxy.js';
import { describeCallStoreContract, sampleCall } from '../contract/call-store-contract.js';
import { redisClient, redisTopologies } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

const topologies = await redisTopologies();

describe.each(topologies)('RedisCallStore on $name', (topology) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = redisClient(topology);
  });
  afterAll(async () => {
    await redis.quit();
  });

  /** A store on key prefixes of its own, removed with its keys afterwards. */
  const withStore = async (
    body: (store: RedisCallStore, keys: RedisKeys) => Promise<void>,
    options: { now?: () => number } = {},
  ) => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const store = new RedisCallStore({ redis, keys, ttlMs: 60_000, ...options });
    try {
      await body(store, keys);
    } finally {
      await store.close();
      await deleteKeys(redis, keys.prefix);
    }
  };

  // On a standalone Redis the store writes through a proxy the failure case cuts; a Cluster's
  // redirections would bypass one.
  describeCallStoreContract(`RedisCallStore on ${topology.name}`, async ({ ttlMs, now }) => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    if (topology.cluster) {
      return {
        store: new RedisCallStore({ redis, keys, ttlMs, now }),
        cleanup: () => deleteKeys(redis, keys.prefix),
      };
    }
    const target = new URL(topology.url);
    const proxy = await CuttableProxy.start({
      host: target.hostname,
      port: Number(target.port || 6379),
    });
    const writer = openRedis({
      url: `redis://127.0.0.1:${proxy.port}`,
      log: captureLog().log,
      name: 'callscribe:contract:store',
      maxRetriesPerRequest: 1,
      reconnectMaxMs: 100,
    });
    return {
      store: new RedisCallStore({ redis: writer, keys, ttlMs, now }),
      failWrites: async () => {
        await proxy.cut();
        return () => proxy.restore();
      },
      cleanup: async () => {
        await deleteKeys(redis, keys.prefix);
        writer.disconnect();
        await proxy.close();
      },
    };
  });

  it('keeps a call in its {callId} hash slot and sets real expiries', async () => {
    await withStore(async (store, keys) => {
      const call = sampleCall({ callId: 'MODIFIED-x1', originalCallId: 'x1' });
      const created = await store.create(call);
      expect(await redis.exists(keys.call('MODIFIED-x1'))).toBe(1);
      expect(keys.call('MODIFIED-x1')).toContain('cd#{MODIFIED-x1}');
      expect(keys.mapping('x1')).toContain('cm#{x1}');
      expect(await redis.pexpiretime(keys.call('MODIFIED-x1'))).toBe(created.expiresAfter * 1000);
      expect(await redis.pexpiretime(keys.mapping('x1'))).toBe(created.expiresAfter * 1000);
      expect(await redis.zrange(keys.callStateIndex('PENDING'), 0, -1)).toEqual(['MODIFIED-x1']);
    });
  });

  it('stores calls whose SIP Call-ID holds braces, in one slot with their events', async () => {
    await withStore(async (store, keys) => {
      // RFC 3261 allows { and } in a Call-ID; an empty tag `{}` would hash the whole key.
      const callIds = ['}leading', '{6F9619FF-8B86-D011-B42D-00C04FC964FF}', 'a{b}c', '{}'];
      for (const callId of callIds) {
        const created = await store.create(sampleCall({ callId, originalCallId: callId }));
        const stored = await store.compareAndSet(callId, created.version, {
          ...created.call,
          state: 'PROCESSING',
        });
        expect(stored?.version).toBe(created.version + 1);
        expect(keys.callIdOfCallKey(keys.call(callId))).toBe(callId);
        expect(await store.resolveOriginalCallId(callId)).toBe(callId);
        if (topology.cluster) {
          const slot = (key: string) => redis.call('CLUSTER', 'KEYSLOT', key);
          expect(await slot(keys.callEvents(callId))).toBe(await slot(keys.call(callId)));
        }
      }
      const listed = await store.list({ state: 'PROCESSING' });
      expect(listed.map((s) => s.call.callId).sort()).toEqual([...callIds].sort());
    });
  });

  it('drops index entries of calls Redis has already expired', async () => {
    let nowMs = Date.now();
    await withStore(
      async (store, keys) => {
        const gone = sampleCall();
        await store.create(gone);
        nowMs += 30_000;
        const kept = sampleCall();
        await store.create(kept);
        nowMs += 31_000;
        // As if Redis' own PEXPIREAT had fired for the first call.
        await redis.del(keys.call(gone.callId));
        expect((await store.list()).map((s) => s.call.callId)).toEqual([kept.callId]);
        expect(await redis.zrange(keys.callIndex, 0, -1)).toEqual([kept.callId]);
        expect(await redis.zrange(keys.callStateIndex('PENDING'), 0, -1)).toEqual([kept.callId]);
      },
      { now: () => nowMs },
    );
  });

  it('catches an index up with its record when the follow-up write was lost', async () => {
    await withStore(async (store, keys) => {
      const call = sampleCall();
      const created = await store.create(call);
      const indexedBefore = await redis.hget(keys.indexedVersions, call.callId);
      await store.compareAndSet(call.callId, created.version, { ...call, state: 'PROCESSING' });
      // As if the node died between the record's write and the index's: put the index back.
      await redis.zrem(keys.callStateIndex('PROCESSING'), call.callId);
      await redis.zadd(keys.callStateIndex('PENDING'), 1, call.callId);
      await redis.hset(keys.indexedVersions, call.callId, indexedBefore!);

      expect(await store.list({ state: 'PENDING' })).toEqual([]);
      expect((await store.list({ state: 'PROCESSING' })).map((s) => s.call.callId)).toEqual([
        call.callId,
      ]);
      expect(await redis.zrange(keys.callStateIndex('PENDING'), 0, -1)).toEqual([]);
    });
  });

  it('never lets an older index update undo a newer one', async () => {
    await withStore(async (store, keys) => {
      const call = sampleCall();
      let stored = await store.create(call);
      for (const state of ['PROCESSING', 'PAUSED', 'PROCESSING', 'ENDED'] as const)
        stored = (await store.compareAndSet(call.callId, stored.version, {
          ...stored.call,
          state,
        }))!;
      // A concurrent lister re-applies a version it read earlier: nothing changes.
      const [createdMs] = (await redis.hget(keys.indexedVersions, call.callId))!.split(':');
      const applied = await applyIndexScript.run(
        redis,
        [keys.indexedVersions, keys.callIndex, keys.expiryIndex, ...keys.callStateIndexes],
        [call.callId, createdMs!, 2, Date.now() + 60_000, 2, keys.call(call.callId), ''],
      );
      expect(applied).toBe(0);
      expect((await store.list({ state: 'ENDED' })).map((s) => s.call.callId)).toEqual([
        call.callId,
      ]);
      expect(await store.list({ state: 'PROCESSING' })).toEqual([]);
    });
  });
});
