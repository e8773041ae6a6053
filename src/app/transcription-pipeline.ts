import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Channel } from '../domain/call.js';
import { AppError } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type {
  CallPipeline,
  CallPipelineContext,
  CallPipelineFactory,
} from '../ports/call-pipeline.js';
import type { SpeechEngine } from '../ports/speech-engine.js';
import { ChannelTranscriber, type ChannelSegment } from './transcription/channel-transcriber.js';

export interface TranscriptionPipelineDeps {
  engine: SpeechEngine;
  log: Logger;
  metrics: Pick<Metrics, 'engineGaps' | 'segmentLatencyMs'>;
  config: Pick<Config, 'savePartialTranscripts' | 'engineReconnectMaxMs'>;
  now?: () => number;
}

const INPUT_RATE_HZ = 8000;

/**
 * Per-call transcription on one shared engine. The pipeline only moves buffers and bookkeeping;
 * decoding happens in the engine (worker threads or a remote service), never on the event loop.
 */
export class TranscriptionPipelineFactory implements CallPipelineFactory {
  readonly #deps: TranscriptionPipelineDeps;
  readonly #sampleRateHz: number;
  readonly #live = new Set<CallTranscription>();

  constructor(deps: TranscriptionPipelineDeps) {
    this.#deps = deps;
    const rate = deps.engine.capabilities.sampleRatesHz[0];
    if (rate === undefined || rate % INPUT_RATE_HZ !== 0) {
      throw new AppError(
        'ENGINE_UNAVAILABLE',
        'engine needs a sample rate that is a multiple of 8 kHz',
        {
          details: {
            engine: deps.engine.name,
            sampleRatesHz: deps.engine.capabilities.sampleRatesHz,
          },
        },
      );
    }
    this.#sampleRateHz = rate;
  }

  create(context: CallPipelineContext): CallPipeline {
    const pipeline = new CallTranscription(this.#deps, this.#sampleRateHz, context, () =>
      this.#live.delete(pipeline),
    );
    this.#live.add(pipeline);
    return pipeline;
  }

  /** Flushes every live call's finals; the engine itself is closed by its owner. */
  async close(): Promise<void> {
    await Promise.all([...this.#live].map((pipeline) => pipeline.finish()));
  }
}

class CallTranscription implements CallPipeline {
  readonly #channels: Record<Channel, ChannelTranscriber>;
  readonly #context: CallPipelineContext;
  readonly #savePartials: boolean;
  readonly #onFinished: () => void;
  #finished = false;

  constructor(
    deps: TranscriptionPipelineDeps,
    sampleRateHz: number,
    context: CallPipelineContext,
    onFinished: () => void,
  ) {
    this.#context = context;
    this.#savePartials = deps.config.savePartialTranscripts;
    this.#onFinished = onFinished;
    const log = context.log.child({ component: 'transcription' });
    const make = (channel: Channel): ChannelTranscriber =>
      new ChannelTranscriber({
        engine: deps.engine,
        callId: context.call.callId,
        channel,
        languageCode: context.call.languageCode,
        sampleRateHz,
        reconnectMaxMs: deps.config.engineReconnectMaxMs,
        log: log.child({ channel }),
        now: deps.now ?? Date.now,
        onSegment: (segment, latencyMs) => {
          if (latencyMs !== undefined && latencyMs >= 0)
            deps.metrics.segmentLatencyMs.observe(latencyMs);
          this.#emit(channel, segment);
        },
        onGap: () => deps.metrics.engineGaps.inc({ engine: deps.engine.name }),
      });
    this.#channels = { CALLER: make('CALLER'), AGENT: make('AGENT') };
  }

  start(offsetMs: number): void {
    if (this.#finished) return;
    this.#channels.CALLER.start(offsetMs);
    this.#channels.AGENT.start(offsetMs);
  }

  async pause(): Promise<number> {
    const processedMs = Math.max(
      this.#channels.CALLER.processedMs,
      this.#channels.AGENT.processedMs,
    );
    await Promise.all([this.#channels.CALLER.stop(), this.#channels.AGENT.stop()]);
    return processedMs;
  }

  audio(channel: Channel, pcm8k: Int16Array): void {
    this.#channels[channel].audio(pcm8k);
  }

  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await Promise.all([this.#channels.CALLER.stop(), this.#channels.AGENT.stop()]);
    this.#onFinished();
  }

  #emit(channel: Channel, segment: ChannelSegment): void {
    if (segment.isPartial && !this.#savePartials) return;
    try {
      this.#context.emit({
        Channel: channel,
        SegmentId: segment.segmentId,
        StartTime: segment.startMs / 1000,
        EndTime: segment.endMs / 1000,
        Transcript: segment.text,
        IsPartial: segment.isPartial,
        ...(segment.confidence === undefined ? {} : { Confidence: segment.confidence }),
      });
    } catch (error) {
      this.#context.log.error({ err: error, channel }, 'transcript segment could not be emitted');
    }
  }
}
