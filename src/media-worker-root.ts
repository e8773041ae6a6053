import { realpathSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from './config/schema.js';
import { loadCodecs } from './adapters/codecs/load-codecs.js';
import { ForwardedMetrics } from './adapters/media-workers/forwarded-metrics.js';
import { MediaWorkerHost } from './adapters/media-workers/media-worker-host.js';
import type { FromMediaWorker } from './adapters/media-workers/media-worker-protocol.js';
import type { MediaWorkerData } from './adapters/media-workers/worker-media-sessions.js';
import { loadSrtpMedia } from './adapters/srtp/load-srtp-library.js';
import { UdpMediaSessions } from './adapters/rtp/udp-media-sessions.js';
import { CodecRegistry } from './media/codec-registry.js';
import { buildMediaWorkerCallAudio } from './media-worker-call-audio.js';
import { EventLoopMonitor } from './observability/event-loop-monitor.js';
import { createLogger } from './observability/logger.js';

/**
 * The composition of one media worker thread (the main thread's is composition-root.ts): its
 * share of the RTP port range, the decoders, and each call's audio consumers (speech engine
 * streams, recording), all built from the same validated config. Logs go to the main thread's
 * logger; metrics go to its registry as deltas.
 */
const port = parentPort;
if (!port) throw new Error('media-worker-root must run in a worker thread');
const data = workerData as MediaWorkerData;
const send = (message: FromMediaWorker): void => port.postMessage(message);
const config: Readonly<Config> = data.config;
const log = createLogger({
  level: config.logLevel,
  redact: config.logRedact,
  destination: { write: (line: string) => send({ type: 'log', line }) },
}).child({ component: 'media', worker: data.index });

try {
  const metrics = new ForwardedMetrics();
  const codecs = loadCodecs();
  const registry = new CodecRegistry(codecs.factories);
  const srtp = loadSrtpMedia(config);
  const sessions = new UdpMediaSessions({
    config: { ...config, rtpPorts: data.rtpPorts },
    log: log.child({ component: 'rtp' }),
    metrics: {
      rtpDropped: metrics.counter('rtpDropped'),
      rtpPackets: metrics.counter('rtpPackets'),
    },
    codecs: { registry, preference: config.sipCodecs },
    srtp,
  });
  const callAudio = await buildMediaWorkerCallAudio(config, { log, metrics });
  new MediaWorkerHost({
    index: data.index,
    peers: data.peers,
    channel: port,
    sessions,
    codecs: registry,
    audio: callAudio.audio,
    monitor: new EventLoopMonitor(),
    metrics,
    health: [callAudio.recorder],
    log,
    closeResources: () => callAudio.close(),
  });
  send({ type: 'ready' });
  log.info(
    { tid: osThreadId(), rtpPorts: data.rtpPorts, codecs: registry.available().map((c) => c.name) },
    'media worker started',
  );
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}

/** The kernel's id of this thread (Linux), so `top -H` and /proc/<pid>/task name the worker. */
function osThreadId(): number | undefined {
  try {
    return Number(realpathSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}
