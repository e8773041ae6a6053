import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { SqliteCallStore } from '../../src/adapters/sqlite/sqlite-call-store.js';
import { SqliteHeldControlEvents } from '../../src/adapters/sqlite/sqlite-held-control-events.js';
import { CallRecovery } from '../../src/app/call-recovery.js';
import { CallService } from '../../src/app/call-service.js';
import { ControlRouter } from '../../src/app/control-router.js';
import { HookRunner } from '../../src/app/hook-runner.js';
import { LiveCalls } from '../../src/app/live-calls.js';
import type { Channel } from '../../src/domain/call.js';
import type { HookFailurePolicy } from '../../src/domain/hook-contract.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { CallInitHook } from '../../src/ports/call-init-hook.js';
import type {
  CallPipeline,
  CallPipelineContext,
  CallPipelineFactory,
} from '../../src/ports/call-pipeline.js';
import type { NewSession } from '../../src/ports/call-sessions.js';
import { captureLog } from './capture-log.js';
import { quietNode } from './quiet-node.js';

/** Counts what reaches the transcription stage, per call, so tests can see gating. */
export class RecordingPipelines implements CallPipelineFactory {
  readonly samples = new Map<string, Record<Channel, number>>();
  readonly starts: { callId: string; offsetMs: number }[] = [];
  finished: string[] = [];

  create(context: CallPipelineContext): CallPipeline {
    const callId = context.call.callId;
    const counts = { CALLER: 0, AGENT: 0 };
    this.samples.set(callId, counts);
    return {
      start: (offsetMs) => void this.starts.push({ callId, offsetMs }),
      pause: async () => 0,
      audio: (channel, frame) => {
        counts[channel] += frame.pcm.length;
      },
      finish: async () => void this.finished.push(callId),
    };
  }

  async close(): Promise<void> {}
}

export function newSession(overrides: Partial<NewSession> = {}): NewSession {
  return {
    callId: 'call-8',
    direction: 'Inbound',
    fromNumber: '+15551230001',
    toNumber: '+15559870000',
    inviteHeaders: { 'call-id': 'call-8' },
    siprecMetadataXml: null,
    streams: [
      { label: '1', role: 'CALLER' },
      { label: '2', role: 'AGENT' },
    ],
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'label-order',
      swappedByHook: false,
    },
    siprec: null,
    sourceAddress: '127.0.0.1',
    audioSampleRateHz: 8000,
    ...overrides,
  };
}

export function functionHook(
  fn: (event: unknown, signal: AbortSignal) => Promise<unknown>,
): CallInitHook {
  return { kind: 'module', invoke: fn };
}

export async function buildAppHarness(
  options: {
    hook?: CallInitHook;
    hookTimeoutMs?: number;
    policy?: HookFailurePolicy;
    pendingEventTtlMs?: number;
    shutdownGraceMs?: number;
    pipelines?: CallPipelineFactory;
    /** An earlier harness's data directory: this one is that node restarted. */
    dataDir?: string;
  } = {},
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'callscribe-app-'));
  const captured = captureLog();
  const metrics = createMetrics();
  const database = SqliteDatabase.open({ dataDir });
  const store = new SqliteCallStore({ database, ttlMs: 86_400_000 });
  const eventStream = new SqliteCallEventStream({ database, ttlMs: 86_400_000, log: captured.log });
  const liveCalls = new LiveCalls();
  const recording = new RecordingPipelines();
  const pipelines = options.pipelines ?? recording;
  const recorder = new WavCallRecorder({ dataDir, log: captured.log, metrics });
  const recovery = new CallRecovery({
    store,
    eventStream,
    recorder,
    liveness: { isAlive: async (id) => id === 'node-a' },
    isHeldHere: (callId) => liveCalls.holds(callId),
    nodeId: 'node-a',
    publicUrl: 'http://127.0.0.1:8080',
    metrics,
    log: captured.log,
    now: Date.now,
  });
  const heldEvents = new SqliteHeldControlEvents({ database });
  const router = new ControlRouter({
    store,
    liveCalls,
    recovery,
    metrics,
    log: captured.log,
    nodeId: 'node-a',
    pendingEventTtlMs: options.pendingEventTtlMs ?? 30_000,
    heldEvents,
    now: Date.now,
  });
  const service = new CallService({
    store,
    eventStream,
    hookRunner: new HookRunner({
      hook: options.hook,
      timeoutMs: options.hookTimeoutMs ?? 2000,
      policy: options.policy ?? 'park',
      metrics,
    }),
    liveCalls,
    pipelines,
    recorder,
    log: captured.log,
    nodeId: 'node-a',
    languageCode: 'en-US',
    recordCalls: true,
    preRollMs: 0,
    publicUrl: 'http://127.0.0.1:8080',
    now: Date.now,
    ...quietNode,
    onCallArrived: (id, original) => router.callArrived(id, original),
    recovery,
    ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
  });
  return {
    dataDir,
    captured,
    metrics,
    store,
    eventStream,
    liveCalls,
    pipelines: recording,
    router,
    service,
    recovery,
    recorder,
    heldEvents,
    /** The process dies: nothing is ended or flushed, the data directory stays for a restart. */
    async crash() {
      recovery.close();
      router.close();
      database.close();
    },
    async close() {
      await service.endAll('test-end');
      recovery.close();
      router.close();
      await eventStream.close();
      await store.close();
      database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
