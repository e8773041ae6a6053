import type { Logger } from 'pino';
import { createHttpServer } from '../../src/adapters/http/create-http-server.js';
import { createCallInitHook } from '../../src/adapters/hook/create-hook.js';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import { createSpeechEngine } from '../../src/adapters/speech/create-speech-engine.js';
import { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteCallEventStream } from '../../src/adapters/sqlite/sqlite-call-event-stream.js';
import { SqliteCallStore } from '../../src/adapters/sqlite/sqlite-call-store.js';
import { startSweeper } from '../../src/adapters/sqlite/start-sweeper.js';
import { CallService } from '../../src/app/call-service.js';
import { ControlRouter } from '../../src/app/control-router.js';
import { HookRunner } from '../../src/app/hook-runner.js';
import { LiveCalls } from '../../src/app/live-calls.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { Config } from '../../src/config/schema.js';
import type { StoredCallEvent } from '../../src/domain/call-event.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { NewSession } from '../../src/ports/call-sessions.js';

/**
 * The graph `buildServer` builds (same classes, same order), minus SIP and RTP, because
 * `buildServer` does not hand out its CallService and the calls here are parked in-process
 * instead of over SIPREC. Everything a PutEvents request touches is the real thing: the HTTP
 * edge with SigV4, the router, the SQLite store and event stream, live calls with the
 * transcription pipeline on the fake engine, WAV recorders, and the park-all module hook.
 */
export async function startCallscribeNode(config: Readonly<Config>, log: Logger) {
  const now = Date.now;
  const nodeId = config.nodeId ?? 'bench-node';
  const liveCalls = new LiveCalls();
  const metrics = createMetrics({ callCounts: () => liveCalls.countsByState() });
  const database = SqliteDatabase.open({ dataDir: config.dataDir });
  const store = new SqliteCallStore({ database, ttlMs: config.callTtlMs, now });
  const eventStream = new SqliteCallEventStream({
    database,
    ttlMs: config.callTtlMs,
    now,
    log: log.child({ component: 'events' }),
  });
  const recorder = new WavCallRecorder({
    dataDir: config.dataDir,
    log: log.child({ component: 'recorder' }),
  });
  const engine = await createSpeechEngine(config, log.child({ component: 'engine' }), metrics);
  const pipelines = new TranscriptionPipelineFactory({ engine, log, metrics, config, now });
  const hook = createCallInitHook(config.hook);
  await hook?.load?.();
  const router = new ControlRouter({
    store,
    liveCalls,
    metrics,
    log: log.child({ component: 'control' }),
    nodeId,
    pendingEventTtlMs: config.pendingEventTtlMs,
    now,
  });
  const callService = new CallService({
    store,
    eventStream,
    hookRunner: new HookRunner({
      hook,
      timeoutMs: config.hookTimeoutMs,
      policy: config.hookFailurePolicy,
      metrics,
    }),
    liveCalls,
    pipelines,
    recorder,
    log,
    nodeId,
    languageCode: config.languageCode,
    recordCalls: config.recordCalls,
    preRollMs: config.preRollMs,
    publicUrl: `http://${config.httpHost}:${config.httpPort}`,
    now,
    onCallArrived: (callId, originalCallId) => router.callArrived(callId, originalCallId),
  });
  const http = createHttpServer({
    config,
    log: log.child({ component: 'http' }),
    controlEvents: router,
    callStore: store,
    eventStream,
    metrics,
    recordings: recorder,
    nodeId,
  });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  const stopSweeper = startSweeper({
    targets: [store, eventStream],
    intervalMs: config.sweepIntervalMs,
    log,
  });

  return {
    httpPort,
    /** Every event appended from now on, as a subscriber (SSE, WebSocket) would get it. */
    onEvent(listener: (event: StoredCallEvent) => void): () => void {
      return eventStream.subscribe({}, listener);
    },
    /** A SIPREC session as the SIP edge would hand it over; the park-all hook parks it. */
    async parkCall(callId: string): Promise<void> {
      const decision = await callService.sessionStarted(session(callId));
      if (!decision.accepted) throw new Error(`call ${callId} refused: ${decision.reason}`);
    },
    async stop(): Promise<void> {
      stopSweeper();
      await callService.endAll('shutdown');
      router.close();
      await http.close();
      await engine.close();
      await eventStream.close();
      await store.close();
      database.close();
    },
  };
}

function session(callId: string): NewSession {
  return {
    callId,
    direction: 'Inbound',
    fromNumber: '+15551230001',
    toNumber: '+15559870000',
    inviteHeaders: { 'call-id': callId, 'user-agent': 'control-events-bench' },
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
  };
}
