import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisCallEventStream } from '../../src/adapters/redis/redis-call-event-stream.js';
import { RedisCallStore } from '../../src/adapters/redis/redis-call-store.js';
import { openRedis } from '../../src/adapters/redis/redis-connection.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { createRedisMetrics } from '../../src/adapters/redis/redis-metrics.js';
import type { CallEvent, StoredCallEvent } from '../../src/domain/call-event.js';
import { AppError } from '../../src/domain/errors.js';
import { sampleCall } from '../contract/call-store-contract.js';
import { captureLog } from '../support/capture-log.js';
import { commandWorks, requireTool } from '../support/tools.js';
import { PrivateRedis } from '../support/private-redis.js';
import { PrivateRedisCluster } from '../support/private-redis-cluster.js';
import { startInProcessNode } from '../support/redis-node-harness.js';

/**
 * Redis restarting under a node, on a private redis-server (never the shared one): writes
 * issued during the outage wait and land after the restart; an outage longer than the retry
 * budget fails loudly with a logged, counted AppError.
 */
const redisServer = requireTool('redis-server', () => commandWorks('redis-server', ['--version']));
const redisCli = requireTool('redis-cli', () => commandWorks('redis-cli', ['--version']));

const event = (callId: string, n: number): CallEvent => ({
  EventType: 'UPDATE_AGENT',
  CallId: callId,
  CreatedAt: new Date().toISOString(),
  AgentId: `agent-${n}`,
});

/** A node's store and event stream on `target`, with a short reconnect back-off. */
function buildNode(
  target: { url: string; cluster: boolean },
  maxRetriesPerRequest: number,
  opened: { close(): Promise<void> | void }[],
) {
  const captured = captureLog('info');
  const registry = new Registry();
  const metrics = createRedisMetrics(registry);
  const open = (name: string) =>
    openRedis({ ...target, log: captured.log, name, maxRetriesPerRequest, reconnectMaxMs: 200 });
  const redis = open('commands');
  const keys = new RedisKeys(`cs-test-${randomUUID()}:`);
  const store = new RedisCallStore({ redis, keys, ttlMs: 60_000, metrics, log: captured.log });
  const stream = new RedisCallEventStream({
    redis,
    blockingRedis: open('events'),
    keys,
    ttlMs: 60_000,
    log: captured.log,
    metrics,
    blockMs: 200,
  });
  opened.push({ close: () => redis.disconnect() }, stream);
  return { captured, registry, redis, keys, store, stream };
}

describe.skipIf(!redisServer.available)('Redis restarting mid-call', () => {
  let server: PrivateRedis;
  const opened: { close(): Promise<void> | void }[] = [];

  beforeAll(async () => {
    server = await PrivateRedis.start({ persist: false });
  });
  afterAll(async () => {
    await server.destroy();
  });
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
    await server.start();
  });

  const build = (maxRetriesPerRequest: number) =>
    buildNode({ url: server.url, cluster: false }, maxRetriesPerRequest, opened);

  it('writes issued while Redis is down land after it restarts, and live subscribers resume', async () => {
    const { store, stream } = build(50);
    const seen: StoredCallEvent[] = [];
    stream.subscribe({ callId: 'call-r' }, (e) => seen.push(e));
    const before = await stream.append(event('call-r', 0));
    await waitUntil(() => seen.length === 1);

    await server.kill();
    const during = stream.append(event('call-r', 1));
    const created = store.create(sampleCall({ callId: 'call-during-outage' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.start();

    const stored = await during;
    expect(Number(stored.id)).toBeGreaterThan(Number(before.id));
    expect((await created).call.callId).toBe('call-during-outage');
    // The restarted Redis kept nothing (no persistence); what was written after is all there.
    expect((await stream.read({ callId: 'call-r' })).map((e) => e.id)).toEqual([stored.id]);
    expect((await store.get('call-during-outage'))?.version).toBe(1);
    await waitUntil(() => seen.length === 2);
    expect(seen.map((e) => e.id)).toEqual([before.id, stored.id]);
  });

  it('fails loudly once the outage outlasts the retry budget: AppError, logged and counted', async () => {
    const { captured, registry, stream, store } = build(2);
    await stream.append(event('call-f', 0));
    await server.kill();

    const appendError = await stream.append(event('call-f', 1)).catch((e: unknown) => e);
    expect(appendError).toBeInstanceOf(AppError);
    expect((appendError as AppError).code).toBe('EVENT_STREAM_UNAVAILABLE');
    expect((appendError as AppError).retryable).toBe(true);
    const storeError = await store.create(sampleCall()).catch((e: unknown) => e);
    expect((storeError as AppError).code).toBe('STORE_UNAVAILABLE');

    expect(captured.messages()).toContain('call event not stored: redis unavailable');
    expect(captured.messages()).toContain('redis connection lost; reconnecting');
    const failures = await registry.getSingleMetric('callscribe_redis_failures_total')?.get();
    const count = (operation: string) =>
      failures?.values.find((v) => v.labels.operation === operation)?.value;
    expect(count('event-append')).toBe(1);
    expect(count('store-create')).toBe(1);
  });
});

describe.skipIf(!redisServer.available || !redisCli.available)(
  'a Redis Cluster primary restarting mid-call',
  () => {
    let cluster: PrivateRedisCluster;
    const opened: { close(): Promise<void> | void }[] = [];

    beforeAll(async () => {
      // AOF fsynced on every write, so the killed primary comes back with what it acknowledged.
      cluster = await PrivateRedisCluster.start({ persist: true });
    });
    afterAll(async () => {
      await cluster.destroy();
    });
    afterEach(async () => {
      for (const item of opened.splice(0).reverse()) await item.close();
      for (const node of cluster.nodes) await node.start();
      await cluster.waitUntilHealthy();
    });

    const build = (maxRetriesPerRequest: number) =>
      buildNode({ url: cluster.url, cluster: true }, maxRetriesPerRequest, opened);

    /** A callId whose record lives on another primary than `node`. */
    const callIdAwayFrom = async (keys: RedisKeys, node: PrivateRedis) => {
      for (let i = 0; ; i++) {
        if ((await cluster.nodeFor(keys.call(`away-${i}`))) !== node) return `away-${i}`;
      }
    };

    it('writes to its slots wait and land, the other shards keep serving, live subscribers resume', async () => {
      const { store, stream, keys } = build(50);
      const eventsNode = await cluster.nodeFor(keys.allEvents);
      const away = await callIdAwayFrom(keys, eventsNode);
      await store.create(sampleCall({ callId: away }));
      const seen: StoredCallEvent[] = [];
      stream.subscribe({ callId: 'call-r' }, (e) => seen.push(e));
      const before = await stream.append(event('call-r', 0));
      await waitUntil(() => seen.length === 1);

      await eventsNode.kill();
      const during = stream.append(event('call-r', 1));
      // A call on a primary that is up is read as usual meanwhile.
      expect((await store.get(away))?.call.callId).toBe(away);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await eventsNode.start();

      const stored = await during;
      expect(Number(stored.id)).toBeGreaterThan(Number(before.id));
      expect((await stream.read({ callId: 'call-r' })).map((e) => e.id)).toEqual([
        before.id,
        stored.id,
      ]);
      expect((await stream.read({})).map((e) => e.id)).toEqual([before.id, stored.id]);
      await waitUntil(() => seen.length === 2);
      expect(seen.map((e) => e.id)).toEqual([before.id, stored.id]);
    });

    it('keeps a call written while the index shard is down, and repairs its index at the next sweep', async () => {
      const { captured, registry, store, keys } = build(2);
      const indexNode = await cluster.nodeFor(keys.callIndex);
      const callId = await callIdAwayFrom(keys, indexNode);
      await indexNode.kill();

      const created = await store.create(sampleCall({ callId }));
      expect(created.version).toBe(1);
      expect(captured.messages()).toContain(
        'call store index write failed after the record was written; it is repaired by the next write or sweep',
      );
      const failures = await registry.getSingleMetric('callscribe_redis_failures_total')?.get();
      expect(failures?.values.find((v) => v.labels.operation === 'store-index')?.value).toBe(1);

      await indexNode.start();
      await cluster.waitUntilHealthy();
      expect(await store.list()).toEqual([]);
      expect(await store.sweepExpired()).toBe(0);
      expect((await store.list({ state: 'PENDING' })).map((s) => s.call.callId)).toEqual([callId]);
    });

    it("routes control events again once the primary of the owner's channel is back", async () => {
      const keyPrefix = `cs-test-${randomUUID()}:`;
      const log = captureLog('info').log;
      const start = (nodeId: string) =>
        startInProcessNode({ nodeId, redisUrl: cluster.url, redisCluster: true, keyPrefix, log });
      const a = await start('node-a');
      opened.push(a);
      const b = await start('node-b');
      opened.push(b);
      const startCall = (callId: string) =>
        b.router.submit(
          {
            type: 'START_CALL_PROCESSING',
            detail: { callId },
            ingress: 'putevents',
            eventId: `evt-${callId}`,
          },
          { holdIfUnknown: false },
        );
      await a.parkedCall('call-before');
      expect(await startCall('call-before')).toMatchObject({ status: 'applied' });

      // The shard that carries node A's control channel restarts: node A must subscribe again.
      const channelNode = await cluster.nodeFor(new RedisKeys(keyPrefix).controlChannel('node-a'));
      await channelNode.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await channelNode.start();
      await cluster.waitUntilHealthy();

      await a.parkedCall('call-after');
      expect(await startCall('call-after')).toMatchObject({
        status: 'applied',
        reason: 'processing started',
      });
      expect(a.pipelines.starts.has('call-after')).toBe(true);
    });

    it('fails loudly once the outage outlasts the retry budget: AppError, logged and counted', async () => {
      const { captured, registry, stream, keys } = build(2);
      await stream.append(event('call-f', 0));
      await (await cluster.nodeFor(keys.allEvents)).kill();

      const appendError = await stream.append(event('call-f', 1)).catch((e: unknown) => e);
      expect(appendError).toBeInstanceOf(AppError);
      expect((appendError as AppError).code).toBe('EVENT_STREAM_UNAVAILABLE');
      expect((appendError as AppError).retryable).toBe(true);
      expect(captured.messages()).toContain('call event not stored: redis unavailable');
      const failures = await registry.getSingleMetric('callscribe_redis_failures_total')?.get();
      expect(failures?.values.find((v) => v.labels.operation === 'event-append')?.value).toBe(1);
    });
  },
);

describe.skipIf(!redisServer.available || !redisCli.available)(
  'a Redis Cluster primary failing over to its replica mid-call',
  () => {
    let cluster: PrivateRedisCluster;
    const opened: { close(): Promise<void> | void }[] = [];

    beforeAll(async () => {
      cluster = await PrivateRedisCluster.start({ replicas: 1 });
    }, 60_000);
    afterAll(async () => {
      for (const item of opened.splice(0).reverse()) await item.close();
      await cluster.destroy();
    });

    it('keeps appending once the replica is promoted, and loses no acknowledged event', async () => {
      const { stream, keys, captured } = buildNode({ url: cluster.url, cluster: true }, 50, opened);
      const before: string[] = [];
      for (let n = 0; n < 5; n++) before.push((await stream.append(event('call-fo', n))).id);
      const primary = await cluster.nodeFor(keys.allEvents);
      // Replication is asynchronous: give the replica the writes already acknowledged.
      await new Promise((resolve) => setTimeout(resolve, 300));

      await primary.kill();
      const during = await stream.append(event('call-fo', 5));
      const promoted = await cluster.nodeFor(keys.allEvents);
      expect(promoted.port).not.toBe(primary.port);

      const ids = [...before, during.id];
      expect((await stream.read({ callId: 'call-fo' })).map((e) => e.id)).toEqual(ids);
      expect((await stream.read({})).map((e) => e.id)).toEqual(ids);
      expect(captured.messages()).not.toContain('call event not stored: redis unavailable');
    }, 60_000);
  },
);

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
