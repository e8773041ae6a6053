import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { epochMs, type DriverMessage, type NodeMessage } from './protocol.js';

/**
 * Scale-out benchmark: two node processes on one Redis.
 *  1. PutEvents START_CALL_PROCESSING → processing started, p50/p99, when the event lands on the
 *     node that holds the call vs on the other node (forwarded), interleaved in one run.
 *  2. Control events/s (UPDATE_AGENT via PutEvents, `--concurrency` in flight): one node; two
 *     nodes each receiving events for its own calls; two nodes with random ingress (half forwarded).
 *
 *   npx tsx bench/scale-out/run.ts --calls 200 --seconds 5 --concurrency 32
 */
const { values } = parseArgs({
  options: {
    redis: {
      type: 'string',
      default: process.env.CALLSCRIBE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
    calls: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
  },
});
const redisUrl = values.redis;
const latencyCalls = Number(values.calls);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const keyPrefix = `cs-bench-${randomUUID()}:`;

interface NodeHandle {
  nodeId: string;
  child: ChildProcess;
  baseUrl: string;
  started: Map<string, number>;
  waiters: Map<string, () => void>;
}

async function startNode(nodeId: string): Promise<NodeHandle> {
  const child = fork(new URL('./node-process.ts', import.meta.url), [nodeId, redisUrl, keyPrefix], {
    execArgv: ['--import', 'tsx'],
  });
  const started = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  child.on('message', (message: NodeMessage) => {
    if (message.type !== 'started') return;
    started.set(message.callId, message.atMs);
    waiters.get(message.callId)?.();
  });
  const ready = await new Promise<NodeMessage>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${nodeId} exited with ${code}`)));
  });
  if (ready.type !== 'ready') throw new Error(`${nodeId}: unexpected ${ready.type}`);
  return { nodeId, child, baseUrl: `http://127.0.0.1:${ready.httpPort}`, started, waiters };
}

async function park(node: NodeHandle, callIds: string[]): Promise<void> {
  const done = new Promise<void>((resolve) => {
    const onMessage = (message: NodeMessage) => {
      if (message.type !== 'parked') return;
      node.child.off('message', onMessage);
      resolve();
    };
    node.child.on('message', onMessage);
  });
  node.child.send({ type: 'park', callIds } satisfies DriverMessage);
  await done;
}

async function putEvent(
  baseUrl: string,
  type: string,
  detail: Record<string, string>,
): Promise<void> {
  const res = await fetch(`${baseUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
    },
    body: JSON.stringify({
      Entries: [{ Source: 'lca-solution', DetailType: type, Detail: JSON.stringify(detail) }],
    }),
  });
  const body = (await res.json()) as { FailedEntryCount?: number };
  if (res.status !== 200 || body.FailedEntryCount !== 0)
    throw new Error(`PutEvents failed: ${res.status}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function latency(owner: NodeHandle, other: NodeHandle) {
  const callIds = Array.from({ length: latencyCalls }, (_, i) => `lat-${i}-${randomUUID()}`);
  await park(owner, callIds);
  const local: number[] = [];
  const forwarded: number[] = [];
  for (const [i, callId] of callIds.entries()) {
    const ingress = i % 2 === 0 ? owner : other;
    const started = new Promise<void>((resolve) => owner.waiters.set(callId, resolve));
    const t0 = epochMs();
    await putEvent(ingress.baseUrl, 'START_CALL_PROCESSING', { callId });
    await started;
    owner.waiters.delete(callId);
    (ingress === owner ? local : forwarded).push((owner.started.get(callId) ?? NaN) - t0);
  }
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return {
      n: xs.length,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
    };
  };
  return { ownerNode: summary(local), otherNode: summary(forwarded) };
}

async function throughput(
  targets: { node: NodeHandle; callIds: string[] }[],
  pick: (i: number) => { baseUrl: string; callId: string },
) {
  let sent = 0;
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const i = sent++;
      const { baseUrl, callId } = pick(i);
      await putEvent(baseUrl, 'UPDATE_AGENT', { callId, agentId: `agent-${i}` });
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  void targets;
  return round(sent / ((Date.now() - t0) / 1000));
}

const round = (x: number) => Math.round(x * 100) / 100;

const a = await startNode('bench-a');
const b = await startNode('bench-b');
try {
  const lat = await latency(a, b);
  const perNode = 50;
  const aCalls = Array.from({ length: perNode }, (_, i) => `tp-a-${i}-${randomUUID()}`);
  const bCalls = Array.from({ length: perNode }, (_, i) => `tp-b-${i}-${randomUUID()}`);
  await park(a, aCalls);
  await park(b, bCalls);
  const at = <T>(xs: T[], i: number): T => xs[i % xs.length] as T;
  const oneNode = await throughput([{ node: a, callIds: aCalls }], (i) => ({
    baseUrl: a.baseUrl,
    callId: at(aCalls, i),
  }));
  const twoNodesOwnIngress = await throughput(
    [
      { node: a, callIds: aCalls },
      { node: b, callIds: bCalls },
    ],
    (i) =>
      i % 2 === 0
        ? { baseUrl: a.baseUrl, callId: at(aCalls, i >> 1) }
        : { baseUrl: b.baseUrl, callId: at(bCalls, i >> 1) },
  );
  const twoNodesAnyIngress = await throughput(
    [
      { node: a, callIds: aCalls },
      { node: b, callIds: bCalls },
    ],
    (i) => ({
      baseUrl: (i >> 1) % 2 === 0 ? a.baseUrl : b.baseUrl,
      callId: i % 2 === 0 ? at(aCalls, i >> 2) : at(bCalls, i >> 2),
    }),
  );
  console.log(
    JSON.stringify(
      {
        startLatency: lat,
        controlEventsPerSecond: { oneNode, twoNodesOwnIngress, twoNodesAnyIngress },
        settings: { latencyCalls, seconds, concurrency },
      },
      null,
      2,
    ),
  );
} finally {
  for (const node of [a, b]) node.child.send({ type: 'stop' } satisfies DriverMessage);
  await Promise.all(
    [a, b].map((node) => new Promise((resolve) => node.child.once('exit', resolve))),
  );
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
