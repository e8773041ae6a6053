import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/adapters/redis/redis-connection.js';
import { botoEndpointDataPath } from '../support/boto-endpoint.js';
import type { AddTranscriptSegmentEvent, CallEvent } from '../../src/domain/call-event.js';
import { redisClient, redisTopologies } from '../support/redis.js';
import { commandWorks, requireTool, tools } from '../support/tools.js';
import { EventFeed } from './multi-node/event-feed.js';
import { PrivateRedis } from '../support/private-redis.js';
import { PrivateRedisCluster } from '../support/private-redis-cluster.js';
import { SbcCall } from './multi-node/sbc-call.js';
import { ServerProcess } from '../support/server-process.js';
import { reserveRtpPortRange } from '../support/rtp-port-range.js';
import { deleteKeys } from '../support/redis-test-keys.js';
import { RedisKeys } from '../../src/adapters/redis/redis-keys.js';

/**
 * Scale-out acceptance with real server processes: two `callscribe serve` children share one
 * Redis, each with its own SIP, RTP and HTTP ports. A SIPREC call lands on node A and is parked
 * by the park-all hook; LCA's boto3 seed script, unchanged, sends START_CALL_PROCESSING to node
 * B; node A transcribes; node B's SSE feed shows it. Then node A is SIGKILLed, and the call ends
 * (owner-lost) and stays readable on node B. A second case restarts a private Redis mid-call.
 */
const run = promisify(execFile);
const topologies = await redisTopologies();
const boto3 = tools.python3Boto3();
const redisServer = requireTool('redis-server', () => commandWorks('redis-server', ['--version']));
const redisCli = requireTool('redis-cli', () => commandWorks('redis-cli', ['--version']));
const SEED_SCRIPT = fileURLToPath(
  new URL('../fixtures/clients/lca_start_call.py', import.meta.url),
);
const PARK_ALL_HOOK = fileURLToPath(new URL('../../examples/hooks/park-all.mjs', import.meta.url));
/** The callId the seed script names; the SBC must send it as the Call-ID. */
const SEED_CALL_ID = 'Your-CallId-Here';
const LEASE_MS = 2000;

async function startPair(
  redisUrl: string,
  extra: { redisKeyPrefix?: string; nodeLeaseMs?: number; redisCluster?: boolean },
) {
  // Twenty ports per node (five two-stream calls), claimed so no parallel test file shares them.
  const ports = reserveRtpPortRange(40);
  const common = { redisUrl, hook: PARK_ALL_HOOK, ...extra };
  const started = await Promise.allSettled([
    ServerProcess.start({ ...common, nodeId: 'node-a', rtpBasePort: ports.min }),
    ServerProcess.start({ ...common, nodeId: 'node-b', rtpBasePort: ports.min + 20 }),
  ]);
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop()));
    ports.release();
    throw failed.reason;
  }
  return {
    a: nodes[0]!,
    b: nodes[1]!,
    async stop(): Promise<void> {
      await Promise.all(nodes.map((n) => n.stop()));
      ports.release();
    },
  };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function poll<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves with the call record once `accept` takes it. */
function callRecordOn(
  node: ServerProcess,
  callId: string,
  accept: (call: Record<string, unknown>) => boolean,
  what: string,
) {
  return poll(async () => {
    const { status, body } = await getJson(
      `${node.baseUrl}/api/calls/${encodeURIComponent(callId)}`,
    );
    return status === 200 && accept(body) ? body : undefined;
  }, what);
}

/** Places the SBC's call on `node`; a refusal names what the node logged, its reason included. */
async function placeCall(node: ServerProcess, callId: string): Promise<SbcCall> {
  try {
    return await SbcCall.place({ host: '127.0.0.1', port: node.sipPort }, callId);
  } catch (error) {
    throw new Error(`${String(error)}\n${node.label}'s last log lines:\n${node.tail()}`, {
      cause: error,
    });
  }
}

const isFinalSegment = (e: CallEvent): e is AddTranscriptSegmentEvent =>
  e.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !e.IsPartial;

/** Runs the seed's boto3 script unchanged, with only the endpoint pointed at `baseUrl`. */
async function runSeedScript(baseUrl: string): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('AWS_')) env[key] = value;
  await run('python3', [SEED_SCRIPT], {
    timeout: 30_000,
    env: {
      ...env,
      AWS_ENDPOINT_URL_EVENTBRIDGE: baseUrl,
      AWS_DATA_PATH: botoEndpointDataPath(baseUrl),
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'unused',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    },
  });
}

describe.skipIf(!boto3.available).each(topologies)(
  'two node processes on $name (acceptance)',
  (topology) => {
    const keyPrefix = `cs-test-${randomUUID()}:`;
    let redis: RedisClient;
    let nodes: Awaited<ReturnType<typeof startPair>> | undefined;
    let sbc: SbcCall | undefined;
    let feed: EventFeed | undefined;

    beforeAll(async () => {
      redis = redisClient(topology);
      nodes = await startPair(topology.url, {
        redisKeyPrefix: keyPrefix,
        nodeLeaseMs: LEASE_MS,
        redisCluster: topology.cluster,
      });
      // A dist/ built before CALLSCRIBE_REDIS_KEY_PREFIX existed would write under the shared prefix.
      const keys = new RedisKeys(keyPrefix);
      expect(await redis.exists(keys.node('node-a'))).toBe(1);
      expect(await redis.exists(keys.node('node-b'))).toBe(1);
    });
    afterAll(async () => {
      await feed?.close();
      await sbc?.kill();
      await nodes?.stop();
      await deleteKeys(redis, keyPrefix);
      await redis.quit();
    });

    it('SIPREC on A, boto3 PutEvents on B, transcript on B, A killed: the call ends and stays readable', async () => {
      const { a, b } = nodes!;
      sbc = await placeCall(a, SEED_CALL_ID);

      const parked = await callRecordOn(b, SEED_CALL_ID, () => true, 'the parked call on node B');
      expect(parked).toMatchObject({ state: 'PENDING', ownerNodeId: 'node-a' });

      feed = new EventFeed(`${b.baseUrl}/api/calls/${SEED_CALL_ID}/events`);
      await runSeedScript(b.baseUrl);
      const processing = await callRecordOn(
        b,
        SEED_CALL_ID,
        (c) => c.state === 'PROCESSING',
        'PROCESSING',
      );
      expect(processing).toMatchObject({ agentId: 'Bob the Builder', ownerNodeId: 'node-a' });

      await feed.waitFor((e) => e.EventType === 'START', 'START on node B');
      await feed.waitFor(isFinalSegment, 'a final transcript segment on node B');
      expect(feed.types.indexOf('START')).toBeLessThan(
        feed.types.indexOf('ADD_TRANSCRIPT_SEGMENT'),
      );
      // Killed at once: the feed reads the all-calls stream, which node A writes first and the
      // call's own stream right after (docs/scale-out.md, "Writes"). A kill between the two
      // leaves the call's history short, and node B repairs it before it ends the call, so the
      // transcript below holds every final the feed saw either way.
      await a.kill('SIGKILL');
      // The SBC's BYE to the dead node would only time out; it goes away with it.
      await sbc.kill();
      const end = await feed.waitFor(
        (e) => e.EventType === 'END',
        'END on node B after node A died',
      );
      const endedState = feed.events.find(
        (e) => e.event.EventType === 'CALL_STATE' && e.event.State === 'ENDED',
      );
      expect(endedState).toBeDefined();
      expect(Number(endedState!.id)).toBeLessThan(Number(end.id));

      // The end completes (ENDED) only after its closing events are stored, END included.
      const ended = await callRecordOn(b, SEED_CALL_ID, (c) => c.state === 'ENDED', 'ENDED');
      expect(ended).toMatchObject({
        callId: SEED_CALL_ID,
        state: 'ENDED',
        endReason: 'owner-lost',
        ownerNodeId: 'node-a',
      });

      const transcript = await getJson(`${b.baseUrl}/api/calls/${SEED_CALL_ID}/transcript`);
      expect(transcript.status).toBe(200);
      const segments = transcript.body.segments as unknown[];
      expect(segments.length).toBeGreaterThan(0);
      expect(segments.length).toBe(
        new Set(
          feed.events
            .filter((e) => isFinalSegment(e.event))
            .map((e) => (e.event as AddTranscriptSegmentEvent).SegmentId),
        ).size,
      );

      // Ids only ever grow on the feed, across both writers (node A, then node B's reaper).
      const ids = feed.events.map((e) => BigInt(e.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
      expect(b.running).toBe(true);
      // Logged right after the ENDED write, so it may still be in the pipe from node B.
      await b.waitForLog(
        (l) => l.msg === 'call ended: its owning node stopped renewing its lease',
        'the owner-lost log line',
      );
    }, 60_000);
  },
);

/** A private Redis (or Cluster) the test can take down for a while and bring back. */
interface Restartable {
  url: string;
  cluster: boolean;
  /** Takes down what serves the call events (the server, or the Cluster primary of `{ev}`). */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const restartables: { name: string; open: () => Promise<Restartable> }[] = [
  {
    name: 'Redis restarted',
    open: async () => {
      const redis = await PrivateRedis.start();
      return {
        url: redis.url,
        cluster: false,
        kill: () => redis.kill(),
        start: () => redis.start(),
        destroy: () => redis.destroy(),
      };
    },
  },
  {
    name: 'the Redis Cluster primary of the event stream restarted',
    open: async () => {
      const cluster = await PrivateRedisCluster.start({ persist: true });
      const eventsNode = await cluster.nodeFor(new RedisKeys('callscribe:').allEvents);
      return {
        url: cluster.url,
        cluster: true,
        kill: () => eventsNode.kill(),
        start: async () => {
          await eventsNode.start();
          await cluster.waitUntilHealthy();
        },
        destroy: () => cluster.destroy(),
      };
    },
  },
];

describe.skipIf(!redisServer.available || !redisCli.available).each(restartables)(
  'two node processes, $name mid-call',
  ({ open }) => {
    let redis: Restartable;
    let nodes: Awaited<ReturnType<typeof startPair>> | undefined;
    let sbc: SbcCall | undefined;
    let feed: EventFeed | undefined;
    const callId = `restart-${randomUUID()}`;

    beforeAll(async () => {
      redis = await open();
      // The default lease (10 s) outlasts the outage, so no node is taken for dead.
      nodes = await startPair(redis.url, { redisCluster: redis.cluster });
    });
    afterAll(async () => {
      await feed?.close();
      await sbc?.kill();
      await nodes?.stop();
      await redis?.destroy();
    });

    it('nodes reconnect, the call record survives, and no event is dropped', async () => {
      const { a, b } = nodes!;
      sbc = await placeCall(a, callId);
      await callRecordOn(b, callId, (c) => c.state === 'PENDING', 'the parked call on node B');
      feed = new EventFeed(`${b.baseUrl}/api/calls/${callId}/events`);
      const started = await fetch(`${b.baseUrl}/api/calls/${callId}/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'agent-7' }),
      });
      expect(started.status).toBeLessThan(300);
      await feed.waitFor(isFinalSegment, 'a final transcript segment before the restart');
      const before = await callRecordOn(b, callId, (c) => c.state === 'PROCESSING', 'PROCESSING');

      const lastBefore = feed.events.at(-1)!;
      const outageStartMs = Date.now();
      await redis.kill();
      // Speech keeps arriving on node A during the outage; its events must wait, not vanish.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await redis.start();
      // Node A wrote throughout, so its command connection lost the server and got it back.
      const restoredOnA = await a.waitForLog(
        (l) =>
          l.msg === 'redis connection restored' && l.connection === 'callscribe:node-a:commands',
        'node-a to reconnect',
      );
      // Every connection of either node that lost it got it back (on a Cluster, a connection
      // with nothing to send that shard may not have noticed at all).
      for (const node of [a, b]) {
        const lost = node.logs.filter((l) => l.msg === 'redis connection lost; reconnecting');
        for (const line of lost) {
          await node.waitForLog(
            (l) =>
              l.msg === 'redis connection restored' &&
              l.connection === line.connection &&
              l.redisNode === line.redisNode &&
              Number(l.time) >= Number(line.time),
            `${String(line.connection)} to reconnect`,
          );
        }
      }
      // Node A's writes queued from the kill until its reconnect (ioredis backs off, so after the restart).
      const reconnectedAtMs = Number(restoredOnA.time);
      const afterRestart = await getJson(`${b.baseUrl}/api/calls/${callId}`);
      expect(afterRestart.body).toMatchObject({
        state: 'PROCESSING',
        ownerNodeId: 'node-a',
        agentId: 'agent-7',
      });
      expect(afterRestart.body.version).toBeGreaterThanOrEqual(before.version as number);
      await feed.waitFor(
        (e) => isFinalSegment(e) && Date.parse(e.CreatedAt) > reconnectedAtMs,
        'a final segment made after node A reconnected, live on node B',
      );

      expect(await sbc.hangUp()).toMatchObject({ type: 'ended' });
      sbc = undefined;
      await feed.waitFor((e) => e.EventType === 'END', 'END on node B');
      const ended = await callRecordOn(b, callId, (c) => c.state === 'ENDED', 'ENDED');
      expect(ended.endReason).not.toBe('owner-lost');

      // Events node A made while it had no connection were stored after it came back...
      const duringOutage = feed.events.filter((e) => {
        const at = Date.parse(e.event.CreatedAt);
        return at > outageStartMs && at < reconnectedAtMs;
      });
      expect(duringOutage.length).toBeGreaterThan(0);
      expect(Number(duringOutage[0]!.id)).toBeGreaterThan(Number(lastBefore.id));
      // ...and the live feed, which rode out the restart, holds exactly what Redis holds.
      const history = new EventFeed(`${b.baseUrl}/api/calls/${callId}/events`);
      try {
        await history.waitFor((e) => e.EventType === 'END', 'the stored history up to END');
        expect(history.events.map((e) => e.id)).toEqual(feed.events.map((e) => e.id));
      } finally {
        await history.close();
      }
      for (const node of [a, b]) {
        expect(node.running).toBe(true);
        expect(
          node.logs.filter((l) => l.msg === 'call event not stored: redis unavailable'),
        ).toEqual([]);
        const metrics = await (await fetch(`${node.baseUrl}/metrics`)).text();
        expect(metrics).not.toMatch(/^callscribe_redis_failures_total\{[^}]*\} [1-9]/m);
      }
    }, 60_000);
  },
);
