import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/adapters/http/create-http-server.js';
import { createRedisAdapters } from '../../src/adapters/redis/create-redis-adapters.js';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import { createSipServer } from '../../src/adapters/sip/sip-server.js';
import { createSpeechEngine } from '../../src/adapters/speech/create-speech-engine.js';
import { CallService } from '../../src/app/call-service.js';
import { ControlRouter } from '../../src/app/control-router.js';
import { HookRunner } from '../../src/app/hook-runner.js';
import { LiveCalls } from '../../src/app/live-calls.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import { loadConfig } from '../../src/config/load.js';
import type { StoredCallEvent } from '../../src/domain/call-event.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { placeSiprecCall } from '../../src/sbc-sim/place-siprec-call.js';
import { captureLog } from '../support/capture-log.js';
import { REDIS_URL, redisAvailable } from '../support/redis.js';
import { tools } from '../support/tools.js';
import { deleteKeys } from './redis-test-keys.js';

/**
 * Acceptance for scale-out: two recorder nodes sharing one Redis, each with its real SIP, RTP
 * and HTTP edges and the fake engine, wired as src/composition-root.ts wires a node (with the
 * Redis adapters in place of SQLite). A SIPREC call lands on node A and is parked by the
 * hook; LCA's boto3 seed script sends START_CALL_PROCESSING to node B; node A transcribes;
 * node B's SSE feed shows the transcript; node A dies and the call ends, readable on node B.
 */
const run = promisify(execFile);
const available = await redisAvailable();
const boto3 = tools.python3Boto3();
const SEED_SCRIPT = fileURLToPath(
  new URL('../fixtures/clients/lca_start_call.py', import.meta.url),
);
const CALL_ID = 'Your-CallId-Here';
const callerAudio = readFileSync(
  new URL('../../samples/support-call/caller.pcmu', import.meta.url),
);
const agentAudio = readFileSync(new URL('../../samples/support-call/agent.pcmu', import.meta.url));
const parkAllHook = fileURLToPath(new URL('../../examples/hooks/park-all.mjs', import.meta.url));

async function startNode(nodeId: string, keyPrefix: string, rtpBase: number) {
  const dataDir = mkdtempSync(join(tmpdir(), `callscribe-${nodeId}-`));
  const config = loadConfig({
    env: {},
    overrides: {
      nodeId,
      dataDir,
      redisUrl: REDIS_URL,
      nodeLeaseMs: 1500,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      sipTransports: ['udp'],
      rtpHost: '127.0.0.1',
      rtpPorts: `${rtpBase}-${rtpBase + 19}`,
      engine: 'fake',
      hook: parkAllHook,
      recordCalls: false,
      webUi: false,
      logLevel: 'silent',
    },
  });
  const { log } = captureLog('info');
  const liveCalls = new LiveCalls();
  const metrics = createMetrics({ callCounts: () => liveCalls.countsByState() });
  const redis = createRedisAdapters(config, log, { nodeId, registry: metrics.registry, keyPrefix });
  const engine = await createSpeechEngine(config, log, metrics);
  const router = new ControlRouter({
    store: redis.store,
    liveCalls,
    metrics,
    log,
    nodeId,
    pendingEventTtlMs: config.pendingEventTtlMs,
    now: Date.now,
    forwarder: redis.forwarder,
  });
  const { createCallInitHook } = await import('../../src/adapters/hook/create-hook.js');
  const service = new CallService({
    store: redis.store,
    eventStream: redis.eventStream,
    hookRunner: new HookRunner({
      hook: await createCallInitHook(config.hook),
      timeoutMs: config.hookTimeoutMs,
      policy: config.hookFailurePolicy,
      metrics,
    }),
    liveCalls,
    pipelines: new TranscriptionPipelineFactory({ engine, log, metrics, config, now: Date.now }),
    recorder: new WavCallRecorder({ dataDir, log }),
    log,
    nodeId,
    languageCode: config.languageCode,
    recordCalls: config.recordCalls,
    preRollMs: config.preRollMs,
    publicUrl: 'http://127.0.0.1',
    now: Date.now,
    onCallArrived: (callId, originalCallId) => {
      router.callArrived(callId, originalCallId);
      redis.announceCallArrived(callId, originalCallId);
    },
  });
  const mediaSessions = new UdpMediaSessions({ config, log, metrics });
  const sip = createSipServer({ config, log, metrics, callSessions: service, mediaSessions });
  const http = createHttpServer({
    config,
    log,
    controlEvents: router,
    callStore: redis.store,
    eventStream: redis.eventStream,
    metrics,
    recordings: new WavCallRecorder({ dataDir, log }),
    nodeId,
  });
  await redis.start(router);
  const sipPorts = await sip.start();
  await http.listen({ host: '127.0.0.1', port: 0 });
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : 0;
  let down = false;
  const shutDown = async (crash: boolean) => {
    if (down) return;
    down = true;
    // A crash loses Redis first: nothing this node does afterwards reaches the others.
    if (crash) redis.disconnect();
    await sip.close();
    await service.endAll('shutdown');
    router.close();
    await http.close();
    await mediaSessions.close();
    await engine.close();
    if (!crash) await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    nodeId,
    redis,
    baseUrl: `http://127.0.0.1:${httpPort}`,
    sipPort: sipPorts.udpPort ?? 0,
    crash: () => shutDown(true),
    close: () => shutDown(false),
  };
}

/** Reads an SSE feed into `into` until aborted. */
async function readSse(url: string, into: StoredCallEvent[], signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { signal, headers: { accept: 'text/event-stream' } });
  if (!res.body) throw new Error('no SSE body');
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: ?(.*)$/m.exec(frame)?.[1];
        const data = frame
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.replace(/^data: ?/, ''))
          .join('\n');
        if (id !== undefined && data)
          into.push({ id, event: JSON.parse(data) as StoredCallEvent['event'] });
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!available || !boto3.available)('two nodes, one Redis (acceptance)', () => {
  const keyPrefix = `cs-test-${randomUUID()}:`;
  const rtpBase = 42_000 + 2 * Math.floor(Math.random() * 2000);
  let a: Awaited<ReturnType<typeof startNode>>;
  let b: Awaited<ReturnType<typeof startNode>>;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    a = await startNode('node-a', keyPrefix, rtpBase);
    b = await startNode('node-b', keyPrefix, rtpBase + 20);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await deleteKeys(redis, keyPrefix);
    await redis.quit();
  });

  it('SIPREC on A, PutEvents on B, transcript on B, A dies, the call ends and stays readable', async () => {
    const sbc = new AbortController();
    const sse = new AbortController();
    const placing = placeSiprecCall({
      target: { host: '127.0.0.1', port: a.sipPort },
      transport: 'udp',
      callId: CALL_ID,
      callerAudio,
      agentAudio,
      loop: true,
      signal: sbc.signal,
    }).catch((error: unknown) => error);
    try {
      const parked = await waitFor(
        () => b.redis.store.get(CALL_ID),
        'the call on the shared store',
      );
      expect(parked.call).toMatchObject({ state: 'PENDING', ownerNodeId: 'node-a' });

      const seenOnB: StoredCallEvent[] = [];
      const reading = readSse(`${b.baseUrl}/api/calls/${CALL_ID}/events`, seenOnB, sse.signal);

      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
      await run('python3', [SEED_SCRIPT], {
        timeout: 60_000,
        env: {
          ...env,
          AWS_ENDPOINT_URL_EVENTBRIDGE: b.baseUrl,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'unused',
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/nonexistent/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
        },
      });
      const processing = await b.redis.store.get(CALL_ID);
      expect(processing?.call).toMatchObject({
        state: 'PROCESSING',
        agentId: 'Bob the Builder',
        ownerNodeId: 'node-a',
      });

      await waitFor(
        () =>
          seenOnB.some((e) => e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !e.event.IsPartial),
        'a final transcript segment on node B',
      );
      expect(seenOnB.map((e) => e.event.EventType).slice(0, 3)).toEqual([
        'CALL_STATE',
        'START',
        'CALL_STATE',
      ]);

      await a.crash();
      const ended = await waitFor(async () => {
        const stored = await b.redis.store.get(CALL_ID);
        return stored?.call.state === 'ENDED' ? stored : undefined;
      }, 'the call to end after node A is gone');
      expect(ended.call.endReason).toBe('owner-lost');

      const record = await fetch(`${b.baseUrl}/api/calls/${CALL_ID}`);
      expect(record.status).toBe(200);
      expect(await record.json()).toMatchObject({ callId: CALL_ID, state: 'ENDED' });
      await waitFor(() => seenOnB.some((e) => e.event.EventType === 'END'), 'END on node B');
      const history = await b.redis.eventStream.read({ callId: CALL_ID });
      expect(
        history.filter((e) => e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT').length,
      ).toBeGreaterThan(0);
      expect(history.at(-1)?.event.EventType).toBe('END');
      sse.abort();
      await reading;
    } finally {
      sse.abort();
      sbc.abort();
      await placing;
    }
  }, 60_000);
});
