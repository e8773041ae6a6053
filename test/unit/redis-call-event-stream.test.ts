import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendCallEventScript } from '../../src/adapters/redis/call-event-scripts.js';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { openRedis } from '../../src/adapters/redis/redis-connection.js';
import { CuttableProxy } from '../support/cuttable-proxy.js';
import type { CallEvent, StoredCallEvent } from '../../src/domain/call-event.js';
import { describeCallEventStreamContract } from '../contract/call-event-stream-contract.js';
import { appendToAllCallsStreamOnly } from '../support/all-calls-only.js';
import { captureLog } from '../support/capture-log.js';
import { redisClient, redisTopologies } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

const topologies = await redisTopologies();

const endEvent = (callId: string): CallEvent => ({
  EventType: 'END',
  CallId: callId,
  CreatedAt: new Date().toISOString(),
  CustomerPhoneNumber: '+15551230001',
  SystemPhoneNumber: '+15559870000',
});

describe.each(topologies)('RedisCallEventStream on $name', (topology) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = redisClient(topology);
  });
  afterAll(async () => {
    await redis.quit();
  });
  /** One node's stream, with a blocking connection of its own. */
  const streamOn = (keys: RedisKeys) =>
    new RedisCallEventStream({
      redis,
      blockingRedis: redis.duplicate(),
      keys,
      ttlMs: 60_000,
      log: captureLog().log,
    });
  /** One event given an id on the all-calls stream only, as a node dying mid-group leaves it. */
  const oneToAllCallsStreamOnly = async (keys: RedisKeys, event: CallEvent): Promise<string> =>
    (await appendToAllCallsStreamOnly(redis, keys, [event]))[0] as string;

  // Appends are grouped over a few milliseconds, as in production. On a standalone Redis the
  // stream writes through a proxy the failure case cuts; a Cluster's redirections bypass one.
  describeCallEventStreamContract(
    `RedisCallEventStream on ${topology.name}`,
    async ({ ttlMs, now, commitIntervalMs, commitMaxEvents }) => {
      const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
      let proxy: CuttableProxy | undefined;
      let writer = redis;
      if (!topology.cluster) {
        const target = new URL(topology.url);
        proxy = await CuttableProxy.start({
          host: target.hostname,
          port: Number(target.port || 6379),
        });
        writer = openRedis({
          url: `redis://127.0.0.1:${proxy.port}`,
          log: captureLog().log,
          name: 'callscribe:contract:events',
          maxRetriesPerRequest: 1,
          reconnectMaxMs: 100,
        });
      }
      const stream = new RedisCallEventStream({
        redis: writer,
        blockingRedis: redis.duplicate(),
        keys,
        ttlMs,
        now,
        log: captureLog().log,
        historyPageSize: 25,
        commitIntervalMs: commitIntervalMs ?? 5,
        commitMaxEvents: commitMaxEvents ?? 500,
      });
      const cut = proxy;
      return {
        stream,
        sweepExpired: () => stream.sweepExpired(),
        ...(cut === undefined
          ? {}
          : {
              failWrites: async () => {
                await cut.cut();
                return () => cut.restore();
              },
            }),
        cleanup: async () => {
          await deleteKeys(redis, keys.prefix);
          if (writer !== redis) writer.disconnect();
          await proxy?.close();
        },
      };
    },
  );

  it('shares events between two nodes: an append on one reaches subscribers on the other', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const nodeA = streamOn(keys);
    const nodeB = streamOn(keys);
    try {
      const seenOnB: StoredCallEvent[] = [];
      const stop = nodeB.subscribe({ callId: 'shared-1' }, (e) => seenOnB.push(e));
      const first = await nodeA.append(endEvent('shared-1'));
      await nodeA.append(endEvent('other'));
      const second = await nodeA.append(endEvent('shared-1'));
      const deadline = Date.now() + 5000;
      while (seenOnB.length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      stop();
      expect(seenOnB.map((e) => e.id)).toEqual([first.id, second.id]);
      // The same id in both Redis streams, so external readers can correlate them.
      expect((await redis.xrange(keys.callEvents('shared-1'), '-', '+')).map((e) => e[0])).toEqual([
        `${first.id}-0`,
        `${second.id}-0`,
      ]);
      expect((await redis.xrange(keys.allEvents, '-', '+')).length).toBe(3);
    } finally {
      await nodeA.close();
      await nodeB.close();
      await deleteKeys(redis, keys.prefix);
    }
  });

  it('keeps ids increasing when the sequence key is lost (Redis restarted empty)', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const stream = streamOn(keys);
    try {
      const before = await stream.append(endEvent('c1'));
      await deleteKeys(redis, keys.prefix);
      const after = await stream.append(endEvent('c1'));
      expect(Number(after.id)).toBeGreaterThan(Number(before.id));
    } finally {
      await stream.close();
      await deleteKeys(redis, keys.prefix);
    }
  });

  it('stores an event that reaches the call stream after a later one, under its own id', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const stream = streamOn(keys);
    try {
      // Two nodes appending to one call at once (the owner, and a node ending it as
      // owner-lost): both get ids in the all-calls stream, the later id reaches the call first.
      const add = (event: CallEvent) => oneToAllCallsStreamOnly(keys, event);
      const early = endEvent('raced');
      const late = { ...endEvent('raced'), EventType: 'CALL_STATE' } as CallEvent;
      const earlyId = await add(early);
      const lateId = await add(late);
      const toCall = (id: string, event: CallEvent) =>
        appendCallEventScript.run(
          redis,
          [keys.callEvents('raced')],
          ['raced', 1000, Date.now() + 120_000, id, JSON.stringify(event)],
        );
      await toCall(lateId, late);
      await toCall(earlyId, early);

      const perCall = await stream.read({ callId: 'raced' });
      expect(perCall.map((e) => [e.id, e.event.EventType])).toEqual([
        [lateId, 'CALL_STATE'],
        [earlyId, 'END'],
      ]);
      // Resuming after the newest id seen on the call's feed still delivers the late entry.
      expect((await stream.read({ callId: 'raced', afterId: lateId })).map((e) => e.id)).toEqual([
        earlyId,
      ]);
      expect((await stream.read({})).map((e) => e.id)).toEqual([earlyId, lateId]);
    } finally {
      await stream.close();
      await deleteKeys(redis, keys.prefix);
    }
  });

  it('repairs histories a node left half written: copies what only the all-calls stream has, once', async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const stream = streamOn(keys);
    try {
      // A node that died between the two steps of a group: the events got ids and reached
      // the all-calls stream, not their calls' streams.
      const allOnly = (event: CallEvent) => oneToAllCallsStreamOnly(keys, event);
      const state = (callId: string) =>
        ({ ...endEvent(callId), EventType: 'CALL_STATE' }) as CallEvent;
      const startedAtMs = Date.now() - 1000;
      const first = await stream.append(state('gap'));
      await stream.append(state('other'));
      const lostId = await allOnly(endEvent('gap'));
      const lostAloneId = await allOnly(endEvent('no-history'));
      // After the loss, other calls go on: the repair reads past their entries.
      await stream.append(endEvent('other'));
      const lostForOther = await allOnly(state('other'));
      expect((await stream.read({ callId: 'gap' })).map((e) => e.id)).toEqual([first.id]);

      const calls = [
        { callId: 'gap', startedAtMs },
        { callId: 'no-history', startedAtMs },
      ];
      expect(await stream.repairHistories(calls)).toBe(2);
      const gap = await stream.read({ callId: 'gap' });
      expect(gap.map((e) => [e.id, e.event.EventType])).toEqual([
        [first.id, 'CALL_STATE'],
        [lostId, 'END'],
      ]);
      expect((await stream.read({ callId: 'no-history' })).map((e) => e.id)).toEqual([lostAloneId]);
      // Only the listed calls are touched.
      expect((await stream.read({ callId: 'other' })).map((e) => e.id)).not.toContain(lostForOther);

      // Again (a second reaper, a slow node finishing its own step): nothing is added twice.
      expect(await stream.repairHistories(calls)).toBe(0);
      const again = await appendCallEventScript.run(
        redis,
        [keys.callEvents('gap')],
        ['gap', 1000, Date.now() + 120_000, lostId, JSON.stringify(endEvent('gap'))],
      );
      expect(again).toBe(0);
      expect(await stream.read({ callId: 'gap' })).toEqual(gap);
    } finally {
      await stream.close();
      await deleteKeys(redis, keys.prefix);
    }
  });

  it("holds an event its call's stream refused and writes it there once the stream takes it", async () => {
    const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
    const captured = captureLog('info');
    const stream = new RedisCallEventStream({
      redis,
      blockingRedis: redis.duplicate(),
      keys,
      ttlMs: 60_000,
      log: captured.log,
    });
    try {
      // The call's shard refuses the second step (here: its key holds something else).
      await redis.set(keys.callEvents('refused'), 'not a stream');
      const stored = await stream.append(endEvent('refused'));
      expect((await stream.read({})).map((e) => e.id)).toEqual([stored.id]);
      expect(captured.messages()).toContainEqual(expect.stringContaining('all-calls stream only'));
      await redis.del(keys.callEvents('refused'));
      const deadline = Date.now() + 10_000;
      while ((await stream.read({ callId: 'refused' })).length === 0) {
        if (Date.now() > deadline)
          throw new Error("the held event never reached the call's stream");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await stream.read({ callId: 'refused' })).map((e) => e.id)).toEqual([stored.id]);
    } finally {
      await stream.close();
      await deleteKeys(redis, keys.prefix);
    }
  });
});
