import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { CallEventStream } from './ports/call-event-stream.js';
import type { CallSessions } from './ports/call-sessions.js';
import { createRedisAdapters } from './adapters/redis/create-redis-adapters.js';
import { createHttpServer, setHttpsCertificate } from './adapters/http/create-http-server.js';
import { CertificateReloader } from './adapters/tls/certificate-reloader.js';
import { httpTlsFiles, sipTlsFiles } from './config/tls-settings.js';
import { createCallInitHook } from './adapters/hook/create-hook.js';
import { loadCodecs } from './adapters/codecs/load-codecs.js';
import { loadSrtpMedia, SRTP_LIBRARY_APT_PACKAGES } from './adapters/srtp/load-srtp-library.js';
import { AppError } from './domain/errors.js';
import { persistedNodeId } from './adapters/node-identity/node-id-file.js';
import { WavCallRecorder } from './adapters/recording/wav-call-recorder.js';
import { UdpMediaSessions } from './adapters/rtp/udp-media-sessions.js';
import { WorkerMediaSessions } from './adapters/media-workers/worker-media-sessions.js';
import { spawnModuleWorker } from './adapters/worker-threads/spawn-module-worker.js';
import { LocalCallAudioFactory } from './app/local-call-audio.js';
import type { CallPipelineFactory } from './ports/call-pipeline.js';
import type { SpeechEngine } from './ports/speech-engine.js';
import { createSipServer } from './adapters/sip/sip-server.js';
import { createSpeechEngine } from './adapters/speech/create-speech-engine.js';
import { SqliteDatabase } from './adapters/sqlite/database.js';
import { SqliteCallEventStream } from './adapters/sqlite/sqlite-call-event-stream.js';
import { SqliteCallStore } from './adapters/sqlite/sqlite-call-store.js';
import { SqliteHeldControlEvents } from './adapters/sqlite/sqlite-held-control-events.js';
import { startSweeper } from './adapters/sqlite/start-sweeper.js';
import { CallRecovery } from './app/call-recovery.js';
import { CallService } from './app/call-service.js';
import { LegPairing } from './app/leg-pairing.js';
import { ControlRouter } from './app/control-router.js';
import { HookRunner } from './app/hook-runner.js';
import { LiveCalls } from './app/live-calls.js';
import { OwnerLossReaper } from './app/owner-loss-reaper.js';
import { TranscriptionPipelineFactory } from './app/transcription-pipeline.js';
import { CodecRegistry } from './media/codec-registry.js';
import { createLogger } from './observability/logger.js';
import { EventLoopMonitor } from './observability/event-loop-monitor.js';
import { LOAD_SAMPLES, LoadSampler } from './observability/load-sampler.js';
import { createMetrics } from './observability/metrics.js';
import { staticUiDir } from './static-ui-dir.js';
import {
  httpClientHost,
  httpExposureWarning,
  httpListenHost,
  openSurfaces,
} from './config/http-exposure.js';

export interface RunningServer {
  httpPort: number;
  sipPorts: { udp?: number; tcp?: number; tls?: number };
  nodeId: string;
}

export interface Server {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  /** The driving port the SIP edge uses; embedders and benchmarks can hand sessions in directly. */
  readonly callSessions: CallSessions;
  /** The call-event stream, as SSE and WebSocket subscribers read it. */
  readonly eventStream: CallEventStream;
  start(): Promise<RunningServer>;
  stop(): Promise<void>;
  /** Re-reads every listener's certificate files (SIGHUP); live connections are kept. */
  reloadTls(): Promise<void>;
  /** Media worker threads (0: media on the main thread). */
  readonly mediaWorkers: number;
  /** Ends a media worker as a crash would (operators, tests): its calls end, it is replaced. */
  terminateMediaWorker(index: number): void;
}

/**
 * The one place that knows every adapter: builds the server from a validated config. Nothing
 * else constructs adapters or reads the environment.
 */
export async function buildServer(
  config: Readonly<Config>,
  options: { log?: Logger; now?: () => number } = {},
): Promise<Server> {
  const now = options.now ?? Date.now;
  const log = options.log ?? createLogger({ level: config.logLevel, redact: config.logRedact });
  const httpHost = httpListenHost(config);
  const nodeId = config.nodeId ?? persistedNodeId(config.dataDir);
  const liveCalls = new LiveCalls();
  const loop = new EventLoopMonitor();
  const load = new LoadSampler();
  load.watch({ name: 'main', ...loop.reader({ spanTakes: LOAD_SAMPLES }) });
  const scrapeWindow = loop.reader();
  const metrics = createMetrics({
    callCounts: () => liveCalls.countsByState(),
    loopWindows: async () => [
      { thread: 'main', window: scrapeWindow.take() },
      ...((await workerMedia?.loopWindows()) ?? []),
    ],
    mediaSessions: () => mediaSessions.openSessions,
  });
  const httpTls = httpTlsFiles(config);
  const httpCertificates =
    httpTls === undefined
      ? undefined
      : new CertificateReloader({
          listener: 'http',
          files: httpTls,
          checkIntervalMs: config.tlsReloadCheckMs,
          log: log.child({ component: 'http' }),
          metrics,
          apply: (material) => setHttpsCertificate(http, material),
        });
  const sipTls = sipTlsFiles(config);
  const sipCertificates =
    sipTls === undefined
      ? undefined
      : new CertificateReloader({
          listener: 'sip',
          files: sipTls,
          checkIntervalMs: config.tlsReloadCheckMs,
          log: log.child({ component: 'sip' }),
          metrics,
          apply: (material) => sip.setTlsMaterial(material),
        });
  // Certificates first: unusable files stop the start before anything else is opened.
  const httpTlsMaterial = await httpCertificates?.load();
  const sipTlsMaterial = await sipCertificates?.load();

  // Redis when configured (several nodes share calls), otherwise the embedded SQLite default.
  const redis = config.redisUrl
    ? createRedisAdapters(config, log, {
        nodeId,
        registry: metrics.registry,
        now,
        keyPrefix: config.redisKeyPrefix,
      })
    : undefined;
  const database = redis
    ? undefined
    : SqliteDatabase.open({
        dataDir: config.dataDir,
        log: log.child({ component: 'database' }),
        now,
      });
  const store =
    redis?.store ?? new SqliteCallStore({ database: database!, ttlMs: config.callTtlMs, now });
  const eventStream =
    redis?.eventStream ??
    new SqliteCallEventStream({
      database: database!,
      ttlMs: config.callTtlMs,
      now,
      log: log.child({ component: 'events' }),
      commitIntervalMs: config.eventCommitIntervalMs,
      commitMaxEvents: config.eventCommitMaxEvents,
    });
  const recorder = new WavCallRecorder({
    dataDir: config.dataDir,
    log: log.child({ component: 'recorder' }),
    flushMs: config.recordingFlushMs,
    metrics,
    now,
  });
  const publicUrl =
    config.publicUrl ??
    `${config.httpTls ? 'https' : 'http'}://${httpClientHost(httpHost)}:${config.httpPort}`;
  const recovery = new CallRecovery({
    store,
    eventStream,
    recorder,
    // One node on SQLite: no other node can hold a call, so any other owner is an earlier identity.
    liveness: redis?.liveness ?? { isAlive: async (id) => id === nodeId },
    isHeldHere: (callId) => liveCalls.holds(callId),
    nodeId,
    publicUrl,
    metrics,
    log: log.child({ component: 'recovery' }),
    now,
  });
  const reaper = redis
    ? new OwnerLossReaper({
        recovery,
        intervalMs: redis.ownerLossScanMs,
        log: log.child({ component: 'owner-loss' }),
      })
    : undefined;
  const mediaWorkerCount = config.mediaWorkers ?? availableParallelism();
  // With media workers, engines run in them, next to the audio; this thread builds none.
  let engine: SpeechEngine | undefined;
  let fallbackEngine: SpeechEngine | undefined;
  let pipelines: CallPipelineFactory = silentPipelines;
  if (mediaWorkerCount === 0) {
    const primary = await createSpeechEngine(config, log.child({ component: 'engine' }), metrics);
    engine = primary;
    fallbackEngine = config.engineFallback
      ? await createSpeechEngine(
          { ...config, engine: config.engineFallback },
          log.child({ component: 'engine', role: 'fallback' }),
          metrics,
        ).catch(async (error: unknown) => {
          await primary.close();
          throw error;
        })
      : undefined;
    pipelines = new TranscriptionPipelineFactory({
      engine: primary,
      ...(fallbackEngine ? { fallbackEngine } : {}),
      log,
      metrics,
      config,
      now,
    });
  }
  const codecs = loadCodecs();
  const registry = new CodecRegistry(codecs.factories);
  const codecPolicy = { registry, preference: config.sipCodecs };
  const srtp = loadSrtpMedia(config);
  if (srtp.loadFailure !== null && config.srtpPolicy === 'required') {
    throw new AppError(
      'CONFIG_INVALID',
      `srtpPolicy is required but srtpLibrary ${config.srtpLibrary} could not be loaded (apt-get install ${SRTP_LIBRARY_APT_PACKAGES[config.srtpLibrary]}): ${srtp.loadFailure}`,
    );
  }
  const workerMedia =
    mediaWorkerCount === 0
      ? undefined
      : new WorkerMediaSessions({
          config,
          workers: mediaWorkerCount,
          codecs: codecPolicy,
          srtp: srtp.support,
          spawn: (data, transferList) =>
            spawnModuleWorker(import.meta.url, 'media-worker-root', data, transferList),
          log,
          metrics,
        });
  for (const thread of workerMedia?.threads() ?? []) load.watch(thread);
  const mediaSessions =
    workerMedia ??
    new UdpMediaSessions({
      config,
      log: log.child({ component: 'rtp' }),
      metrics,
      codecs: codecPolicy,
      srtp,
    });
  const localAudio = new LocalCallAudioFactory({
    pipelines,
    recorder,
    recordCalls: config.recordCalls,
    chunkMs: config.audioChunkMs,
  });
  const hook = createCallInitHook(config.hook);
  await hook?.load?.();
  const router = new ControlRouter({
    store,
    liveCalls,
    recovery,
    metrics,
    log: log.child({ component: 'control' }),
    nodeId,
    pendingEventTtlMs: config.pendingEventTtlMs,
    heldEvents: redis?.heldControlEvents ?? new SqliteHeldControlEvents({ database: database! }),
    now,
    forwarder: redis?.forwarder,
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
    callAudio: workerMedia?.callAudio(localAudio) ?? localAudio,
    log,
    nodeId,
    languageCode: config.languageCode,
    recordCalls: config.recordCalls,
    preRollMs: config.preRollMs,
    publicUrl,
    now,
    recovery,
    admission: {
      maxConcurrentCalls: config.maxConcurrentCalls,
      maxLagMs: config.admissionMaxLagMs,
      maxCpuPercent: config.admissionMaxCpuPercent,
      retryAfterS: config.admissionRetryAfterS,
    },
    load,
    onCallArrived: (callId, originalCallId) => {
      router.callArrived(callId, originalCallId);
      redis?.announceCallArrived(callId, originalCallId);
    },
  });
  // Forked recordings (CUCM Built-in-Bridge) come as two dialogs that make one call.
  const sessions = new LegPairing({
    inner: callService,
    pairingWindowMs: config.bibPairingWindowMs,
    log: log.child({ component: 'pairing' }),
  });
  const sip = createSipServer({
    config,
    log: log.child({ component: 'sip' }),
    metrics,
    callSessions: sessions,
    mediaSessions,
    ...(sipTlsMaterial === undefined ? {} : { tlsMaterial: sipTlsMaterial }),
  });
  const http = createHttpServer({
    config,
    ...(httpTlsMaterial === undefined ? {} : { tls: httpTlsMaterial }),
    log: log.child({ component: 'http' }),
    controlEvents: router,
    callStore: store,
    eventStream,
    metrics,
    recordings: recorder,
    staticDir: config.webUi ? staticUiDir() : undefined,
    nodeId,
    health: [...(database ? [database] : []), recorder, ...(workerMedia ? [workerMedia] : [])],
    load: () => {
      const admission = callService.admission();
      const reading = load.reading();
      return {
        overload: admission.admit ? [] : admission.reasons,
        liveCalls: liveCalls.size,
        lagP99Ms: reading.lagByThreadMs,
        cpuPercent: Math.round(reading.cpuPercent * 10) / 10,
      };
    },
  });
  let stopSweeper: (() => void) | undefined;

  return {
    config,
    log,
    callSessions: sessions,
    eventStream,
    mediaWorkers: workerMedia?.workerCount ?? 0,
    terminateMediaWorker(index) {
      workerMedia?.terminateWorker(index);
    },
    async start() {
      // Media workers build their decoders and engines first: a missing model stops the start.
      await workerMedia?.ready().catch(async (error: unknown) => {
        await workerMedia.close();
        throw error;
      });
      // Take the node lease and listen for forwarded control events before any call can arrive.
      await redis?.start(router);
      // Calls an earlier run left live are ended (and their recordings repaired) before new ones arrive.
      await recovery.recoverAtStart();
      // Control events an earlier run acknowledged as pending are held again (or decided now).
      await router
        .restoreHeld()
        .catch((err: unknown) =>
          log.error(
            { err },
            'held control events could not be restored; retried at the next start',
          ),
        );
      reaper?.start();
      const bound = await sip.start();
      const sipPorts = { udp: bound.udpPort, tcp: bound.tcpPort, tls: bound.tlsPort };
      sipCertificates?.watch();
      logHttpExposure(config, httpHost, log);
      await http.listen({ host: httpHost, port: config.httpPort });
      httpCertificates?.watch();
      load.reset();
      const address = http.server.address();
      const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
      stopSweeper = startSweeper({
        targets: [store, eventStream],
        intervalMs: config.sweepIntervalMs,
        log,
      });
      log.info(
        {
          codecs: config.sipCodecs.filter((name) => registry.get(name) !== undefined),
          codecsMissing: codecs.missing.map((m) => `${m.codec} (apt-get install ${m.aptPackage})`),
        },
        'codecs available',
      );
      if (srtp.loadFailure !== null)
        log.warn(
          {
            srtpPolicy: config.srtpPolicy,
            srtpLibrary: config.srtpLibrary,
            reason: srtp.loadFailure,
          },
          `SRTP offers will be refused with 488: ${config.srtpLibrary} did not load (apt-get install ${SRTP_LIBRARY_APT_PACKAGES[config.srtpLibrary]})`,
        );
      log.info(
        {
          httpPort,
          sipPorts,
          nodeId,
          engine: config.engine,
          engineFallback: config.engineFallback,
          mediaWorkers: workerMedia?.workerCount ?? 0,
        },
        'callscribe started',
      );
      return { httpPort, sipPorts, nodeId };
    },
    async reloadTls() {
      await Promise.all([httpCertificates?.reload('signal'), sipCertificates?.reload('signal')]);
    },
    async stop() {
      stopSweeper?.();
      httpCertificates?.close();
      await reaper?.stop();
      sipCertificates?.close();
      await sip.close();
      await callService.endAll('shutdown');
      recovery.close();
      router.close();
      await http.close();
      await mediaSessions.close();
      await engine?.close();
      await fallbackEngine?.close();
      await eventStream.close();
      await store.close();
      await redis?.close();
      database?.close();
      load.close();
      loop.close();
      log.info('callscribe stopped');
    },
  };
}

/**
 * The main thread's pipelines when media workers run the engines: only a call whose media no
 * worker holds (every stream declined) is created here, and it has no audio to transcribe.
 */
const silentPipelines: CallPipelineFactory = {
  create: () => ({
    start: () => undefined,
    pause: async () => 0,
    audio: () => undefined,
    finish: async () => undefined,
  }),
  close: async () => undefined,
};

/** Said at every start, so an operator never runs open by accident without seeing it. */
function logHttpExposure(config: Readonly<Config>, httpHost: string, log: Logger): void {
  const warning = httpExposureWarning(config);
  if (warning !== undefined) {
    log.warn({ httpHost }, warning);
    return;
  }
  const open = openSurfaces(config);
  if (config.httpHost === undefined && open.length > 0) {
    log.info(
      { httpHost, openSurfaces: open },
      'HTTP listens on loopback only: set apiToken and accessKeys (or sessionKeys) to listen on every address',
    );
  }
}
