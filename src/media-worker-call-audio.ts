import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { ForwardedMetrics } from './adapters/media-workers/forwarded-metrics.js';
import { WavCallRecorder } from './adapters/recording/wav-call-recorder.js';
import { createSpeechEngine } from './adapters/speech/create-speech-engine.js';
import { LocalCallAudioFactory } from './app/local-call-audio.js';
import { TranscriptionPipelineFactory } from './app/transcription-pipeline.js';

export interface MediaWorkerCallAudio {
  /** Each call's transcription and recording, in this thread. */
  audio: LocalCallAudioFactory;
  /** The recordings' writer: also this worker's storage health. */
  recorder: WavCallRecorder;
  /** Closes the speech engines (the recordings close with their calls). */
  close(): Promise<void>;
}

/**
 * What a media worker composes for the calls whose audio it decodes: the speech engines, the
 * transcription pipeline and the WAV recorder, from the worker's copy of the validated config.
 * Its own module so that `bench/capacity/media-path.ts` measures exactly what a worker runs.
 */
export async function buildMediaWorkerCallAudio(
  config: Readonly<Config>,
  deps: { log: Logger; metrics: ForwardedMetrics },
): Promise<MediaWorkerCallAudio> {
  const { log, metrics } = deps;
  const engine = await createSpeechEngine(config, log.child({ component: 'engine' }));
  const fallbackEngine = config.engineFallback
    ? await createSpeechEngine(
        { ...config, engine: config.engineFallback },
        log.child({ component: 'engine', role: 'fallback' }),
      )
    : undefined;
  const pipelines = new TranscriptionPipelineFactory({
    engine,
    ...(fallbackEngine ? { fallbackEngine } : {}),
    log,
    metrics: {
      engineGaps: metrics.counter('engineGaps'),
      segmentLatencyMs: metrics.histogram('segmentLatencyMs'),
      engineFailovers: metrics.counter('engineFailovers'),
    },
    config,
  });
  const recorder = new WavCallRecorder({
    dataDir: config.dataDir,
    log: log.child({ component: 'recorder' }),
    flushMs: config.recordingFlushMs,
    metrics: { recordingFailures: metrics.counter('recordingFailures') },
  });
  return {
    audio: new LocalCallAudioFactory({
      pipelines,
      recorder,
      recordCalls: config.recordCalls,
      chunkMs: config.audioChunkMs,
    }),
    recorder,
    close: async () => {
      await engine.close();
      await fallbackEngine?.close();
    },
  };
}
