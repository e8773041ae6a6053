import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createRedisAdapters } from '../../src/adapters/redis/create-redis-adapters.js';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { CallRecovery } from '../../src/app/call-recovery.js';
import { CallService } from '../../src/app/call-service.js';
import { ControlRouter } from '../../src/app/control-router.js';
import { HookRunner } from '../../src/app/hook-runner.js';
import { LiveCalls } from '../../src/app/live-calls.js';
import { OwnerLossReaper } from '../../src/app/owner-loss-reaper.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type {
  CallPipeline,
  CallPipelineContext,
  CallPipelineFactory,
} from '../../src/ports/call-pipeline.js';
import type { NewSession } from '../../src/ports/call-sessions.js';
import { newSession } from './app-harness.js';
import { answeredSession } from './answered-session.js';
import { quietNode } from './quiet-node.js';

/** Records when each call's processing started, instead of transcribing. */
export class StartRecordingPipelines implements CallPipelineFactory {
  readonly starts = new Map<string, number>();
  onStart: ((callId: string) => void) | undefined;

  create(context: CallPipelineContext): CallPipeline {
    const callId = context.call.callId;
    return {
      start: () => {
        this.starts.set(callId, performance.now());
        this.onStart?.(callId);
      },
      pause: async () => 0,
      audio: () => undefined,
      finish: async () => undefined,
    };
  }

  async close(): Promise<void> {}
}

export interface InProcessNodeOptions {
  nodeId: string;
  redisUrl: string;
  redisCluster?: boolean;
  keyPrefix: string;
  log: Logger;
  nodeLeaseMs?: number;
  callTtlMs?: number;
  /** Run the owner-loss reaper on its timer (default); tests that race scans by hand turn it off. */
  reaper?: boolean;
}

/**
 * One callscribe "node" wired as the composition root wires a Redis deployment, minus SIP, RTP
 * and HTTP: Redis adapters, ControlRouter with the Redis forwarder, CallService with a hook
 * that parks every call. Several of these in one process share calls through one Redis.
 */
export async function startInProcessNode(options: InProcessNodeOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), `callscribe-${options.nodeId}-`));
  const metrics = createMetrics();
  const log = options.log.child({ nodeId: options.nodeId });
  const redis = createRedisAdapters(
    {
      redisUrl: options.redisUrl,
      redisCluster: options.redisCluster ?? false,
      callTtlMs: options.callTtlMs ?? 3_600_000,
      nodeLeaseMs: options.nodeLeaseMs ?? 10_000,
    },
    log,
    { nodeId: options.nodeId, registry: metrics.registry, keyPrefix: options.keyPrefix },
  );
  const liveCalls = new LiveCalls();
  const pipelines = new StartRecordingPipelines();
  const recorder = new WavCallRecorder({ dataDir, log });
  const recovery = new CallRecovery({
    store: redis.store,
    eventStream: redis.eventStream,
    recorder,
    liveness: redis.liveness,
    isHeldHere: (callId) => liveCalls.holds(callId),
    nodeId: options.nodeId,
    publicUrl: 'http://127.0.0.1:8080',
    metrics,
    log,
    now: Date.now,
  });
  const reaper = new OwnerLossReaper({ recovery, intervalMs: redis.ownerLossScanMs, log });
  const router = new ControlRouter({
    store: redis.store,
    liveCalls,
    recovery,
    metrics,
    log,
    nodeId: options.nodeId,
    pendingEventTtlMs: 30_000,
    heldEvents: redis.heldControlEvents,
    now: Date.now,
    forwarder: redis.forwarder,
  });
  const service = new CallService({
    store: redis.store,
    eventStream: redis.eventStream,
    hookRunner: new HookRunner({
      hook: { kind: 'module', invoke: async () => ({ shouldProcessCall: false }) },
      timeoutMs: 2000,
      policy: 'park',
      metrics,
    }),
    liveCalls,
    pipelines,
    recorder,
    log,
    nodeId: options.nodeId,
    languageCode: 'en-US',
    recordCalls: false,
    preRollMs: 0,
    publicUrl: 'http://127.0.0.1:8080',
    now: Date.now,
    ...quietNode,
    onCallArrived: (callId, originalCallId) => {
      router.callArrived(callId, originalCallId);
      redis.announceCallArrived(callId, originalCallId);
    },
    recovery,
  });
  await redis.start(router);
  await recovery.recoverAtStart();
  if (options.reaper !== false) reaper.start();
  let closed = false;

  return {
    nodeId: options.nodeId,
    redis,
    router,
    service,
    liveCalls,
    pipelines,
    metrics,
    recovery,
    reaper,
    /** A call arriving over SIPREC and parked by the hook, held (with its media) by this node. */
    async parkedCall(callId: string, overrides: Partial<NewSession> = {}) {
      const decision = await answeredSession(
        service,
        newSession({ callId, inviteHeaders: { 'call-id': callId }, ...overrides }),
      );
      if (!decision.accepted) throw new Error(`call ${callId} refused: ${decision.reason}`);
      return decision.handle;
    },
    /** The process dies: no goodbye, no lease release; other nodes notice when the lease runs out. */
    crash(): void {
      closed = true;
      router.close();
      recovery.close();
      redis.disconnect();
      void reaper.stop();
      void redis.nodeRegistry.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await reaper.stop();
      await service.endAll('shutdown');
      recovery.close();
      router.close();
      await redis.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type InProcessNode = Awaited<ReturnType<typeof startInProcessNode>>;
