import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSse } from '../../src/cli/sse-client.js';
import type { CallEvent } from '../../src/domain/call-event.js';
import { placeSiprecCall, RtpPacer } from '../../src/sbc-sim/index.js';
import { ServerProcess } from '../../test/support/server-process.js';
import { PrivateRedisCluster } from '../../test/support/private-redis-cluster.js';
import { redisClient } from '../../test/support/redis-client.js';
import { deleteKeys } from '../../test/support/redis-test-keys.js';
import { latencySummary } from './latency-summary.js';
import { epochMs } from './epoch-ms.js';
import { putEvent } from './put-event.js';

/**
 * Scale-out benchmark with two real `callscribe serve` processes on one Redis (fake engine,
 * park-all hook). The calls are real SIPREC calls from the SBC simulator, half on each node.
 *  1. PutEvents START_CALL_PROCESSING → the START call event read on an SSE client of the node
 *     that received the PutEvents; owner ingress vs other node (forwarded), interleaved.
 *  2. Control events/s (UPDATE_AGENT via PutEvents, `--concurrency` in flight): one node; two
 *     nodes each receiving events for its own calls; two nodes with any ingress (half forwarded).
 * Both are measured on the standalone Redis (`--redis`), then on a Redis Cluster of three
 * primaries the run starts on loopback (`--topologies standalone,cluster`), and the cluster's
 * figures are also given as ratios to the standalone ones of the same run.
 *
 *   npm run build && npx tsx bench/scale-out/run.ts --calls 20 --seconds 5 --concurrency 16
 */
const { values } = parseArgs({
  options: {
    redis: {
      type: 'string',
      default: process.env.CALLSCRIBE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
    calls: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    topologies: { type: 'string', default: 'standalone,cluster' },
  },
});
const redisUrl = values.redis;
const callCount = Number(values.calls);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const hook = fileURLToPath(new URL('../../examples/hooks/park-all.mjs', import.meta.url));
const audio = (name: string) => new URL(`../../samples/support-call/${name}.pcmu`, import.meta.url);
const callerAudio = readFileSync(audio('caller'));
const agentAudio = readFileSync(audio('agent'));

/** When each call's START event reached an SSE client of each node (epoch ms). */
const startSeen = new Map<string, Map<string, number>>();
let feeds = new AbortController();
function watchStarts(node: ServerProcess): void {
  const seen = new Map<string, number>();
  startSeen.set(node.label, seen);
  void readSse(`${node.baseUrl}/api/events`, {
    signal: feeds.signal,
    onMessage: (message) => {
      const event = JSON.parse(message.data) as CallEvent;
      if (event.EventType === 'START') seen.set(event.CallId, epochMs());
    },
  }).catch(() => undefined);
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface Figures {
  putEventsToStartOnSse: { ownerNode: Latency; otherNode: Latency };
  controlEventsPerSecond: {
    oneNode: number;
    twoNodesOwnIngress: number;
    twoNodesAnyIngress: number;
  };
}
type Latency = ReturnType<typeof latencySummary>;

async function measure(redisUrl: string, redisCluster: boolean): Promise<Figures> {
  const keyPrefix = `cs-bench-${randomUUID()}:`;
  feeds = new AbortController();
  startSeen.clear();
  const rtpBase = 42_000 + 400 * Math.floor(Math.random() * 15);
  // Even, so B's range starts on an even port as RTP pairs require.
  const portsPerNode = 4 * callCount + 20;
  const [a, b] = await Promise.all([
    ServerProcess.start({
      nodeId: 'bench-a',
      redisUrl,
      redisCluster,
      redisKeyPrefix: keyPrefix,
      hook,
      rtpBasePort: rtpBase,
      rtpPortCount: portsPerNode,
    }),
    ServerProcess.start({
      nodeId: 'bench-b',
      redisUrl,
      redisCluster,
      redisKeyPrefix: keyPrefix,
      hook,
      rtpBasePort: rtpBase + portsPerNode,
      rtpPortCount: portsPerNode,
    }),
  ]);
  const nodes = [a!, b!];
  const hangUp = new AbortController();
  // Every call listens on the one hang-up signal.
  setMaxListeners(callCount + 10, hangUp.signal);
  const pacer = new RtpPacer();
  const placing: Promise<unknown>[] = [];
  try {
    for (const node of nodes) watchStarts(node);
    const calls = Array.from({ length: callCount }, (_, i) => ({
      callId: `bench-${i}-${randomUUID()}`,
      owner: nodes[i % 2]!,
      other: nodes[(i + 1) % 2]!,
    }));
    for (const call of calls) {
      placing.push(
        placeSiprecCall({
          target: { host: '127.0.0.1', port: call.owner.sipPort },
          transport: 'udp',
          callId: call.callId,
          callerAudio,
          agentAudio,
          loop: true,
          signal: hangUp.signal,
          pacer,
        }).catch((error: unknown) => error),
      );
    }
    for (const call of calls) {
      await until(
        async () => (await fetch(`${call.owner.baseUrl}/api/calls/${call.callId}`)).status === 200,
        `${call.callId} to be parked`,
      );
    }

    const viaOwner: number[] = [];
    const forwarded: number[] = [];
    for (const [i, call] of calls.entries()) {
      const ingress = (i >> 1) % 2 === 0 ? call.owner : call.other;
      const seen = startSeen.get(ingress.label)!;
      const t0 = epochMs();
      await putEvent(ingress.baseUrl, 'START_CALL_PROCESSING', { callId: call.callId });
      await until(() => seen.has(call.callId), `START of ${call.callId}`);
      (ingress === call.owner ? viaOwner : forwarded).push(seen.get(call.callId)! - t0);
    }

    const ofA = calls.filter((c) => c.owner === a);
    const ofB = calls.filter((c) => c.owner === b);
    const at = <T>(xs: T[], i: number): T => xs[i % xs.length]!;
    const throughput = async (
      pick: (i: number) => { baseUrl: string; callId: string },
      forSeconds = seconds,
    ) => {
      let sent = 0;
      const deadline = Date.now() + forSeconds * 1000;
      const worker = async () => {
        while (Date.now() < deadline) {
          const i = sent++;
          const { baseUrl, callId } = pick(i);
          await putEvent(baseUrl, 'UPDATE_AGENT', { callId, agentId: `agent-${i}` });
        }
      };
      const t0 = Date.now();
      await Promise.all(Array.from({ length: concurrency }, worker));
      return Math.round(sent / ((Date.now() - t0) / 1000));
    };
    // Unmeasured first: connections to every shard, script caches and the JIT warm up.
    await throughput((i) => ({ baseUrl: nodes[i % 2]!.baseUrl, callId: at(calls, i).callId }), 1);
    const oneNode = await throughput((i) => ({ baseUrl: a!.baseUrl, callId: at(ofA, i).callId }));
    const twoNodesOwnIngress = await throughput((i) =>
      i % 2 === 0
        ? { baseUrl: a!.baseUrl, callId: at(ofA, i >> 1).callId }
        : { baseUrl: b!.baseUrl, callId: at(ofB, i >> 1).callId },
    );
    const twoNodesAnyIngress = await throughput((i) => ({
      baseUrl: (i >> 1) % 2 === 0 ? a!.baseUrl : b!.baseUrl,
      callId: i % 2 === 0 ? at(ofA, i >> 2).callId : at(ofB, i >> 2).callId,
    }));
    return {
      putEventsToStartOnSse: {
        ownerNode: latencySummary(viaOwner),
        otherNode: latencySummary(forwarded),
      },
      controlEventsPerSecond: { oneNode, twoNodesOwnIngress, twoNodesAnyIngress },
    };
  } finally {
    hangUp.abort();
    await Promise.all(placing);
    feeds.abort();
    await Promise.all(nodes.map((n) => n.stop()));
    const redis = redisClient({ url: redisUrl, cluster: redisCluster });
    await deleteKeys(redis, keyPrefix);
    await redis.quit();
  }
}

const results: Record<string, Figures> = {};
for (const topology of values.topologies.split(',')) {
  if (topology === 'standalone') {
    results.standalone = await measure(redisUrl, false);
  } else if (topology === 'cluster') {
    const cluster = await PrivateRedisCluster.start();
    try {
      results.cluster = await measure(cluster.url, true);
    } finally {
      await cluster.destroy();
    }
  } else {
    throw new Error(`unknown topology ${topology}: standalone or cluster`);
  }
}
const { standalone, cluster } = results;
const ratio = (x: number, base: number) => Math.round((x / base) * 100) / 100;
console.log(
  JSON.stringify(
    {
      ...results,
      ...(standalone && cluster
        ? {
            clusterVsStandalone: {
              startP50: {
                ownerNode: ratio(
                  cluster.putEventsToStartOnSse.ownerNode.p50Ms,
                  standalone.putEventsToStartOnSse.ownerNode.p50Ms,
                ),
                otherNode: ratio(
                  cluster.putEventsToStartOnSse.otherNode.p50Ms,
                  standalone.putEventsToStartOnSse.otherNode.p50Ms,
                ),
              },
              controlEventsPerSecond: Object.fromEntries(
                Object.entries(cluster.controlEventsPerSecond).map(([k, v]) => [
                  k,
                  ratio(
                    v,
                    standalone.controlEventsPerSecond[k as keyof Figures['controlEventsPerSecond']],
                  ),
                ]),
              ),
            },
          }
        : {}),
      settings: { calls: callCount, seconds, concurrency },
    },
    null,
    2,
  ),
);
