import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import { startInProcessNode, type InProcessNode } from '../support/redis-node-harness.js';
import { sampleCall } from '../contract/call-store-contract.js';
import { captureLog } from '../support/capture-log.js';
import { redisClient, redisTopologies } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

const topologies = await redisTopologies();

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(topologies)('control events routed between nodes on $name', (topology) => {
  let redis: RedisClient;
  let keyPrefix: string;
  const nodes: InProcessNode[] = [];
  const captured = captureLog('info');

  const start = async (nodeId: string, nodeLeaseMs = 10_000): Promise<InProcessNode> => {
    const node = await startInProcessNode({
      nodeId,
      redisUrl: topology.url,
      redisCluster: topology.cluster,
      keyPrefix,
      log: captured.log,
      nodeLeaseMs,
    });
    nodes.push(node);
    return node;
  };

  beforeAll(() => {
    redis = redisClient(topology);
  });
  afterAll(async () => {
    await redis.quit();
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await deleteKeys(redis, keyPrefix);
  });
  const fresh = () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
  };

  it('applies a START received by node B on node A, which holds the call', async () => {
    fresh();
    const a = await start('node-a');
    const b = await start('node-b');
    await a.parkedCall('call-1');

    const outcome = await b.router.submit(
      {
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'call-1', agentId: 'agent-7' },
        ingress: 'putevents',
        eventId: 'evt-1',
      },
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({
      status: 'applied',
      callId: 'call-1',
      code: null,
      reason: 'processing started',
    });
    expect(a.pipelines.starts.has('call-1')).toBe(true);
    expect(b.pipelines.starts.size).toBe(0);
    const stored = await b.redis.store.get('call-1');
    expect(stored?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'agent-7',
      ownerNodeId: 'node-a',
    });
    // Both nodes read the same recorded outcome.
    expect(await a.router.outcome('evt-1')).toMatchObject({ status: 'applied' });
    expect(await b.router.outcome('evt-1')).toMatchObject({ status: 'applied' });

    const duplicate = await b.router.submit(
      {
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'call-1' },
        ingress: 'putevents',
        eventId: 'evt-2',
      },
      { holdIfUnknown: true },
    );
    expect(duplicate).toMatchObject({ status: 'noop', callId: 'call-1' });

    const stop = await b.router.submit(
      {
        type: 'STOP_CALL_PROCESSING',
        detail: { callId: 'call-1' },
        ingress: 'rest',
        eventId: 'evt-3',
      },
      { holdIfUnknown: false },
    );
    expect(stop).toMatchObject({ status: 'applied', reason: 'processing paused' });
    expect((await a.redis.store.get('call-1'))?.call.state).toBe('PAUSED');
  });

  it('applies a START that reached node B before the INVITE reached node A', async () => {
    fresh();
    const a = await start('node-a');
    const b = await start('node-b');
    const early = await b.router.submit(
      {
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'orig-early' },
        ingress: 'putevents',
        eventId: 'evt-early',
      },
      { holdIfUnknown: true },
    );
    expect(early.status).toBe('pending');
    // The hook renames the call; the held event names the original id.
    await a.parkedCall('orig-early', { callId: 'orig-early' });
    const applied = await waitFor(async () => {
      const outcome = await b.router.outcome('evt-early');
      return outcome?.status === 'pending' ? undefined : outcome;
    }, 'the held event to be applied');
    expect(applied).toMatchObject({ status: 'applied', callId: 'orig-early' });
    expect(a.pipelines.starts.has('orig-early')).toBe(true);
  });

  it('resolves a pre-hook callId on the receiving node and forwards the renamed call', async () => {
    fresh();
    const a = await start('node-a');
    const b = await start('node-b');
    await a.redis.store.create(
      sampleCall({ callId: 'RENAMED-9', originalCallId: 'orig-9', ownerNodeId: 'node-a' }),
    );
    // Node A has no media for it (as after a restart): it refuses and ends the orphan.
    const outcome = await b.router.submit(
      {
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'orig-9' },
        ingress: 'putevents',
        eventId: 'evt-9',
      },
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      callId: 'RENAMED-9',
      code: 'CALL_ENDED',
      reason: 'call ended (node-restart)',
    });
    expect((await b.redis.store.get('RENAMED-9'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'node-restart',
      ownerNodeId: 'node-a',
    });
  });

  it('events published by the owner reach subscribers on the other node', async () => {
    fresh();
    const a = await start('node-a');
    const b = await start('node-b');
    const seen: string[] = [];
    const stop = b.redis.eventStream.subscribe({ callId: 'call-2' }, (e) =>
      seen.push(e.event.EventType),
    );
    await a.parkedCall('call-2');
    await b.router.submit(
      { type: 'START_CALL_PROCESSING', detail: { callId: 'call-2' }, ingress: 'putevents' },
      { holdIfUnknown: true },
    );
    await waitFor(() => (seen.includes('START') ? true : undefined), 'START on node B');
    stop();
    expect(seen).toEqual(['CALL_STATE', 'START', 'CALL_STATE']);
  });

  it('rejects with CALL_OWNER_UNAVAILABLE and ends the call when the owner has crashed', async () => {
    fresh();
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    await a.parkedCall('call-3');
    a.crash();
    await waitFor(
      async () => ((await b.redis.nodeRegistry.isAlive('node-a')) ? undefined : true),
      'lease to run out',
    );
    const ended: string[] = [];
    const stop = b.redis.eventStream.subscribe({ callId: 'call-3' }, (e) =>
      ended.push(e.event.EventType),
    );
    const outcome = await b.router.submit(
      {
        type: 'START_CALL_PROCESSING',
        detail: { callId: 'call-3' },
        ingress: 'putevents',
        eventId: 'evt-3',
      },
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      code: 'CALL_OWNER_UNAVAILABLE',
      callId: 'call-3',
    });
    expect((await b.redis.store.get('call-3'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'owner-lost',
    });
    await waitFor(() => (ended.includes('CALL_STATE') ? true : undefined), 'CALL_STATE event');
    stop();
    // A parked call was never STARTed, so it gets no END, as when its own node ends it.
    const events = await b.redis.eventStream.read({ callId: 'call-3' });
    expect(events.map((e) => e.event)).toMatchObject([
      { EventType: 'CALL_STATE', State: 'PENDING' },
      { EventType: 'CALL_STATE', State: 'ENDED' },
    ]);
  });

  it('gives up on an owner that holds its lease but does not answer, without ending the call', async () => {
    fresh();
    const b = await start('node-b', 1000);
    // A node that renews its lease but never listens (e.g. wedged): PUBLISH reaches no one.
    const keys = new RedisKeys(keyPrefix);
    await redis.set(keys.node('node-wedged'), '1', 'PX', 60_000);
    await b.redis.store.create(sampleCall({ callId: 'call-4', ownerNodeId: 'node-wedged' }));
    const outcome = await b.router.submit(
      { type: 'UPDATE_AGENT', detail: { callId: 'call-4', agentId: 'x' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(outcome).toMatchObject({ status: 'rejected', code: 'CALL_OWNER_UNAVAILABLE' });
    expect(outcome.reason).toContain('not listening');
    expect((await b.redis.store.get('call-4'))?.call.state).toBe('PENDING');
  });

  it('the reaper ends the unended calls of a node whose lease ran out, once', async () => {
    fresh();
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    const c = await start('node-c', 600);
    await a.parkedCall('call-5');
    await a.parkedCall('call-6');
    await b.parkedCall('call-7');
    await a.redis.store.create(
      sampleCall({ callId: 'call-8', state: 'ENDED', endReason: 'bye', ownerNodeId: 'node-a' }),
    );
    a.crash();
    await waitFor(
      async () => ((await b.redis.nodeRegistry.isAlive('node-a')) ? undefined : true),
      'lease to run out',
    );
    // Both survivors run their reapers (every lease/2) and race; compare-and-set lets one win per call.
    const [byB, byC] = await Promise.all([b.reaper.reap(), c.reaper.reap()]);
    for (const callId of ['call-5', 'call-6']) {
      await waitFor(
        async () => ((await b.redis.store.get(callId))?.call.state === 'ENDED' ? true : undefined),
        `${callId} ended`,
      );
      expect((await b.redis.store.get(callId))?.call).toMatchObject({
        state: 'ENDED',
        endReason: 'owner-lost',
      });
    }
    const ownerLost = async (node: InProcessNode) =>
      (
        await node.metrics.registry.getSingleMetric('callscribe_calls_recovered_total')?.get()
      )?.values.find((v) => v.labels.reason === 'owner-lost')?.value ?? 0;
    expect((await ownerLost(b)) + (await ownerLost(c))).toBe(2);
    expect(byB + byC).toBeLessThanOrEqual(2);
    expect((await b.redis.store.get('call-7'))?.call.state).toBe('PENDING');
    expect((await b.redis.store.get('call-8'))?.call.endReason).toBe('bye');
    expect(await b.reaper.reap()).toBe(0);
    // Records of the lost node stay readable from the survivors.
    expect(
      (await c.redis.eventStream.read({ callId: 'call-5' })).map((e) => e.event.EventType),
    ).toEqual(['CALL_STATE', 'CALL_STATE']);
  });
});
