import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';
import type { CallEvent } from '../../src/domain/call-event.js';
import { startInProcessNode, type InProcessNode } from '../support/redis-node-harness.js';
import { appendToAllCallsStreamOnly } from '../support/all-calls-only.js';
import { captureLog } from '../support/capture-log.js';
import { redisClient, redisTopologies } from '../support/redis.js';
import { deleteKeys } from '../support/redis-test-keys.js';

/**
 * Recovery of calls whose media is gone, on Redis: nodes racing to end a dead node's calls,
 * a node dying halfway through such an end, and a restarted node reclaiming its own calls
 * without waiting for its old lease. In every case each call gets its closing events once.
 */
const topologies = await redisTopologies();

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(topologies)('call recovery on $name', (topology) => {
  let redis: RedisClient;
  let keyPrefix: string;
  const nodes: InProcessNode[] = [];
  const captured = captureLog('info');

  const start = async (nodeId: string, nodeLeaseMs: number): Promise<InProcessNode> => {
    const node = await startInProcessNode({
      nodeId,
      redisUrl: topology.url,
      redisCluster: topology.cluster,
      keyPrefix,
      log: captured.log,
      nodeLeaseMs,
      // Scans are run by hand, so the race is the test's, not the timers'.
      reaper: false,
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

  /** Node A holds `count` calls, every other one STARTed, then dies without a word. */
  async function deadNodeWithCalls(a: InProcessNode, count: number) {
    const started = new Set<string>();
    for (let i = 0; i < count; i++) {
      const callId = `call-${i}`;
      await a.parkedCall(callId);
      if (i % 2 === 0) {
        await a.router.submit(
          { type: 'START_CALL_PROCESSING', detail: { callId }, ingress: 'rest' },
          { holdIfUnknown: false },
        );
        started.add(callId);
      }
    }
    a.crash();
    return started;
  }

  async function closingEvents(node: InProcessNode, callId: string) {
    const events = (await node.redis.eventStream.read({ callId })).map((e) => e.event);
    return {
      endedStates: events.filter((e) => e.EventType === 'CALL_STATE' && e.State === 'ENDED').length,
      ends: events.filter((e) => e.EventType === 'END').length,
      last: events.at(-1)?.EventType,
    };
  }

  it('two nodes racing over a dead node end each of its calls once', async () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    const c = await start('node-c', 600);
    const started = await deadNodeWithCalls(a, 8);
    await waitFor(async () => !(await b.redis.nodeRegistry.isAlive('node-a')), 'lease to run out');

    const scans = await Promise.all([
      b.reaper.reap(),
      c.reaper.reap(),
      b.reaper.reap(),
      c.reaper.reap(),
    ]);
    expect(scans.reduce((sum, n) => sum + n, 0)).toBe(8);
    for (let i = 0; i < 8; i++) {
      const callId = `call-${i}`;
      const call = (await b.redis.store.get(callId))?.call;
      expect(call).toMatchObject({ state: 'ENDED', endReason: 'owner-lost' });
      expect(call?.callStreamingEndTime).not.toBe('');
      // The owner stays recorded; the node that ended the call for it is named beside it.
      expect(call?.ownerNodeId).toBe('node-a');
      expect(['node-b', 'node-c']).toContain(call?.recoveredByNodeId);
      expect(await closingEvents(b, callId)).toEqual({
        endedStates: 1,
        ends: started.has(callId) ? 1 : 0,
        last: started.has(callId) ? 'END' : 'CALL_STATE',
      });
    }
    expect(await b.reaper.reap()).toBe(0);
  });

  it('a node that dies halfway through ending a call leaves it to the next, which finishes once', async () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    const c = await start('node-c', 600);
    await deadNodeWithCalls(a, 1);
    await waitFor(async () => !(await b.redis.nodeRegistry.isAlive('node-a')), 'lease of A');
    // Node B claims the call and publishes its final state, then dies before END and ENDED.
    const stored = await b.redis.store.get('call-0');
    if (!stored) throw new Error('call-0 missing');
    const claimed = await b.redis.store.compareAndSet('call-0', stored.version, {
      ...stored.call,
      recoveredByNodeId: 'node-b',
      endReason: 'owner-lost',
      callStreamingEndTime: new Date().toISOString(),
    });
    expect(claimed).toBeDefined();
    await b.redis.eventStream.append({
      EventType: 'CALL_STATE',
      State: 'ENDED',
      CallId: 'call-0',
      CreatedAt: new Date().toISOString(),
      CustomerPhoneNumber: stored.call.fromNumber,
      SystemPhoneNumber: stored.call.toNumber,
    });
    b.crash();
    // While B's lease holds, C leaves B's claim alone.
    expect(await c.reaper.reap()).toBe(0);
    await waitFor(async () => !(await c.redis.nodeRegistry.isAlive('node-b')), 'lease of B');
    expect(await c.reaper.reap()).toBe(1);
    expect((await c.redis.store.get('call-0'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'owner-lost',
      ownerNodeId: 'node-a',
      recoveredByNodeId: 'node-c',
    });
    expect(await closingEvents(c, 'call-0')).toEqual({ endedStates: 1, ends: 1, last: 'END' });
  });

  it("copies a dead node's last events, stored on the all-calls feed only, into the call's history before ending it, once", async () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    const started = await deadNodeWithCalls(a, 1);
    expect(started.has('call-0')).toBe(true);
    const stored = await b.redis.store.get('call-0');
    if (!stored) throw new Error('call-0 missing');
    // A's last group (a final segment, then the call's end) reached the all-calls stream, and
    // A died before writing it into the call's stream.
    const keys = new RedisKeys(keyPrefix);
    const base = { CallId: 'call-0', CreatedAt: new Date().toISOString() };
    const lost: CallEvent[] = [
      {
        ...base,
        EventType: 'ADD_TRANSCRIPT_SEGMENT',
        Channel: 'CALLER',
        SegmentId: 'seg-last',
        StartTime: 1,
        EndTime: 2,
        Transcript: 'the last words',
        IsPartial: false,
      },
      {
        ...base,
        EventType: 'CALL_STATE',
        State: 'ENDED',
        CustomerPhoneNumber: stored.call.fromNumber,
        SystemPhoneNumber: stored.call.toNumber,
      },
      {
        ...base,
        EventType: 'END',
        CustomerPhoneNumber: stored.call.fromNumber,
        SystemPhoneNumber: stored.call.toNumber,
      },
    ];
    await appendToAllCallsStreamOnly(redis, keys, lost);
    await waitFor(async () => !(await b.redis.nodeRegistry.isAlive('node-a')), 'lease of A');

    expect(await b.reaper.reap()).toBe(1);
    const history = (await b.redis.eventStream.read({ callId: 'call-0' })).map((e) => e.event);
    expect(history.filter((e) => e.EventType === 'ADD_TRANSCRIPT_SEGMENT')).toHaveLength(1);
    expect(await closingEvents(b, 'call-0')).toEqual({ endedStates: 1, ends: 1, last: 'END' });
    // Nor did the end go out twice to the all-calls feed's readers.
    const feed = (await b.redis.eventStream.read({})).map((e) => e.event);
    expect(feed.filter((e) => e.CallId === 'call-0' && e.EventType === 'END')).toHaveLength(1);
    expect(captured.messages()).toContainEqual(
      expect.stringContaining("copied into their calls' histories"),
    );
  });

  it('repairs the history of a call ended alone, when a control event finds its owner gone', async () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
    const a = await start('node-a', 600);
    const b = await start('node-b', 600);
    await deadNodeWithCalls(a, 1);
    const stored = await b.redis.store.get('call-0');
    if (!stored) throw new Error('call-0 missing');
    // A call STARTed by its dead owner, whose last group (a final segment) reached only the
    // all-calls stream.
    await appendToAllCallsStreamOnly(redis, new RedisKeys(keyPrefix), [
      {
        CallId: 'call-0',
        CreatedAt: new Date().toISOString(),
        EventType: 'ADD_TRANSCRIPT_SEGMENT',
        Channel: 'AGENT',
        SegmentId: 'seg-last',
        StartTime: 1,
        EndTime: 2,
        Transcript: 'the last words',
        IsPartial: false,
      },
    ]);
    await waitFor(async () => !(await b.redis.nodeRegistry.isAlive('node-a')), 'lease of A');

    const outcome = await b.router.submit(
      { type: 'START_CALL_PROCESSING', detail: { callId: 'call-0' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(outcome).toMatchObject({ status: 'rejected', code: 'CALL_OWNER_UNAVAILABLE' });
    const history = (await b.redis.eventStream.read({ callId: 'call-0' })).map((e) => e.event);
    expect(history.filter((e) => e.EventType === 'ADD_TRANSCRIPT_SEGMENT')).toHaveLength(1);
    expect(await closingEvents(b, 'call-0')).toEqual({ endedStates: 1, ends: 1, last: 'END' });
  });

  it('a restarted node ends its own calls at once, without waiting for its old lease', async () => {
    keyPrefix = `cs-test-${randomUUID()}:`;
    const leaseMs = 60_000;
    const a = await start('node-a', leaseMs);
    const b = await start('node-b', leaseMs);
    const started = await deadNodeWithCalls(a, 4);
    expect(await b.redis.nodeRegistry.isAlive('node-a')).toBe(true);
    // Other nodes wait for the lease; the node itself, back with the same id, does not.
    expect(await b.reaper.reap()).toBe(0);

    const since = Date.now();
    const again = await start('node-a', leaseMs);
    expect(Date.now() - since).toBeLessThan(leaseMs / 4);
    for (let i = 0; i < 4; i++) {
      const callId = `call-${i}`;
      expect((await again.redis.store.get(callId))?.call).toMatchObject({
        state: 'ENDED',
        endReason: 'node-restart',
        ownerNodeId: 'node-a',
      });
      expect((await again.redis.store.get(callId))?.call.recoveredByNodeId).toBeUndefined();
      expect(await closingEvents(again, callId)).toMatchObject({
        endedStates: 1,
        ends: started.has(callId) ? 1 : 0,
      });
    }
    // A control event for such a call gets the ended-call outcome, from any node.
    const outcome = await b.router.submit(
      { type: 'START_CALL_PROCESSING', detail: { callId: 'call-1' }, ingress: 'putevents' },
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      code: 'CALL_ENDED',
      reason: 'call ended (node-restart)',
    });
  });
});
