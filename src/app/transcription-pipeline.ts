import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Channel } from '../domain/call.js';
import type { EngineFailover } from '../domain/engine-failover.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { CounterSink, HistogramSink } from '../observability/metric-sinks.js';
import type {
  CallPipeline,
  CallPipelineContext,
  CallPipelineFactory,
} from '../ports/call-pipeline.js';
import type { SpeechEngine } from '../ports/speech-engine.js';
import {
  ChannelTranscriber,
  type ChannelFailover,
  type ChannelSegment,
} from './transcription/channel-transcriber.js';
import { EngineChoice } from './transcription/engine-choice.js';
import { checkEngineRates } from './transcription/engine-rate.js';

export interface TranscriptionPipelineDeps {
  engine: SpeechEngine;
  /** `engineFallback`: takes over a call's streams the primary refuses or fails. */
  fallbackEngine?: SpeechEngine;
  log: Logger;
  metrics: {
    engineGaps: CounterSink<'engine'>;
    segmentLatencyMs: HistogramSink;
    engineFailovers?: CounterSink<'from' | 'to' | 'reason'>;
  };
  config: Pick<Config, 'savePartialTranscripts' | 'engineReconnectMaxMs'> &
    Partial<Pick<Config, 'engineRetryBudget' | 'engineFailbackMs'>>;
  now?: () => number;
}

/** The primary is retried for new calls after this back-off, doubling up to 64 times it. */
const DEFAULT_FAILBACK_MS = 30_000;

/**
 * Per-call transcription on one shared engine. The pipeline only moves buffers and bookkeeping;
 * decoding happens in the engine (worker threads or a remote service), never on the event loop.
 */
export class TranscriptionPipelineFactory implements CallPipelineFactory {
  readonly #deps: TranscriptionPipelineDeps;
  readonly #choice: EngineChoice;
  readonly #live = new Set<CallTranscription>();

  constructor(deps: TranscriptionPipelineDeps) {
    this.#deps = deps;
    // Refuse an engine the pipeline cannot feed at start, not on the first call.
    checkEngineRates(deps.engine);
    if (deps.fallbackEngine) checkEngineRates(deps.fallbackEngine);
    const failbackMs = deps.config.engineFailbackMs ?? DEFAULT_FAILBACK_MS;
    this.#choice = new EngineChoice({
      primary: deps.engine,
      fallback: deps.fallbackEngine,
      backoffMs: failbackMs,
      maxBackoffMs: failbackMs * 64,
      now: deps.now ?? Date.now,
    });
  }

  create(context: CallPipelineContext): CallPipeline {
    const pipeline = new CallTranscription(this.#deps, this.#choice, context, () =>
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
  readonly #deps: TranscriptionPipelineDeps;
  readonly #choice: EngineChoice;
  readonly #log: Logger;
  #failover: EngineFailover | undefined;
  #finished = false;

  constructor(
    deps: TranscriptionPipelineDeps,
    choice: EngineChoice,
    context: CallPipelineContext,
    onFinished: () => void,
  ) {
    this.#context = context;
    this.#deps = deps;
    this.#choice = choice;
    this.#savePartials = deps.config.savePartialTranscripts;
    this.#onFinished = onFinished;
    const log = context.log.child({ component: 'transcription' });
    this.#log = log;
    const { engine, skippedPrimary } = choice.forNewCall();
    const fallback = engine === choice.fallback ? undefined : choice.fallback;
    const make = (channel: Channel): ChannelTranscriber =>
      new ChannelTranscriber({
        engine,
        ...(fallback ? { fallback } : {}),
        retryBudget: deps.config.engineRetryBudget ?? 2,
        callId: context.call.callId,
        channel,
        languageCode: context.call.languageCode,
        expectedRateHz: context.audioSampleRateHz ?? 8000,
        reconnectMaxMs: deps.config.engineReconnectMaxMs,
        log: log.child({ channel }),
        now: deps.now ?? Date.now,
        onSegment: (segment, latencyMs) => {
          if (latencyMs !== undefined && latencyMs >= 0)
            deps.metrics.segmentLatencyMs.observe(latencyMs);
          this.#emit(channel, segment);
        },
        onGap: () => deps.metrics.engineGaps.inc({ engine: engine.name }),
        onFailover: (failover) => this.#failedOver(channel, failover),
        onEngineWorked: (worked) => {
          if (worked === choice.primary) choice.primaryWorked();
        },
      });
    this.#channels = { CALLER: make('CALLER'), AGENT: make('AGENT') };
    if (skippedPrimary && choice.fallback) {
      this.#failedOver('CALLER', {
        from: choice.primary.name,
        to: choice.fallback.name,
        reason: 'backoff',
        switchMs: 0,
      });
    }
  }

  /** Recorded, logged and counted once per call, whichever channel switches first. */
  #failedOver(channel: Channel, failover: ChannelFailover): void {
    if (failover.reason !== 'backoff') this.#choice.primaryFailed();
    if (this.#failover) return;
    const now = this.#deps.now ?? Date.now;
    this.#failover = { ...failover, channel, at: new Date(now()).toISOString() };
    this.#deps.metrics.engineFailovers?.inc({
      from: failover.from,
      to: failover.to,
      reason: failover.reason,
    });
    this.#log.warn(
      { code: 'ENGINE_FAILOVER', ...failover, channel },
      failover.reason === 'backoff'
        ? 'primary engine in back-off; call transcribed by the fallback engine'
        : 'primary engine failed the call; the fallback engine transcribes the rest',
    );
    try {
      this.#context.engineFailover?.(this.#failover);
    } catch (error) {
      this.#log.error({ err: error }, 'engine failover could not be recorded');
    }
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

  audio(channel: Channel, frame: AudioFrame): void {
    // Not this.#channels[channel]: a keyed load seeing both names is megamorphic, per packet.
    (channel === 'CALLER' ? this.#channels.CALLER : this.#channels.AGENT).audio(frame);
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
