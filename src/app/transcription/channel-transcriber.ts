import type { Logger } from 'pino';
import type { Channel } from '../../domain/call.js';
import {
  engineFailureReason,
  isRefusal,
  type EngineFailureReason,
} from '../../domain/engine-failover.js';
import { isAppError } from '../../domain/errors.js';
import { frameDurationMs, type AudioFrame } from '../../media/audio-frame.js';
import { FrameRateConverter } from '../../media/resampler.js';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../ports/speech-engine.js';
import { streamRateHz } from './engine-rate.js';

const FIRST_BACKOFF_MS = 250;
/** Audio held while a stream opens (decoder warm-up, TLS handshake); beyond it, the oldest goes. */
const MAX_PENDING_MS = 10_000;
/** Audio kept since the last final, replayed to the fallback engine when the primary fails. */
const MAX_REPLAY_MS = 30_000;

export interface ChannelSegment {
  segmentId: string;
  startMs: number;
  endMs: number;
  text: string;
  isPartial: boolean;
  confidence?: number;
}

export interface ChannelFailover {
  from: string;
  to: string;
  reason: EngineFailureReason;
  /** Failure noticed → fallback stream open and fed. */
  switchMs: number;
}

export interface ChannelTranscriberDeps {
  engine: SpeechEngine;
  /** Takes over the rest of the channel when `engine` refuses or fails it. */
  fallback?: SpeechEngine;
  /** Reconnects to the same engine before a crash counts as a failure (only with a fallback). */
  retryBudget: number;
  callId: string;
  channel: Channel;
  languageCode: string;
  /** The rate the call's codecs were negotiated at: the first stream opens at it, before audio. */
  expectedRateHz: number;
  reconnectMaxMs: number;
  log: Logger;
  now: () => number;
  onSegment(segment: ChannelSegment, latencyMs: number | undefined): void;
  onGap(): void;
  onFailover(failover: ChannelFailover): void;
  /** A stream of the initial engine produced a result: it works. */
  onEngineWorked(engine: SpeechEngine): void;
}

type State = 'stopped' | 'opening' | 'open' | 'backoff' | 'failed';

interface HeldAudio {
  startMs: number;
  frame: AudioFrame;
}

/**
 * One channel of one call on the speech engine. Time is counted from the audio itself, in
 * call-processing milliseconds, and keeps counting while the engine is down, so segment times
 * after a reconnect (or a pause) line up with the recording. When the engine refuses or loses
 * the stream for good and a fallback is configured, the fallback gets the rest of the channel,
 * starting with the audio since the last final result.
 *
 * A stream opens at the rate of the audio (16 kHz for wideband codecs) when its engine takes it;
 * frames are resampled only for an engine that cannot. When a re-INVITE changes the rate and the
 * engine takes the new one, the old stream is finished (its finals still count) and a new one
 * opens at the new rate.
 */
export class ChannelTranscriber {
  readonly #deps: ChannelTranscriberDeps;
  #engine: SpeechEngine;
  #state: State = 'stopped';
  #stream: SpeechStream | undefined;
  #opening: Promise<void> = Promise.resolve();
  #pending: HeldAudio[] = [];
  #pendingMs = 0;
  #replay: HeldAudio[] = [];
  #replayMs = 0;
  /** Converts to the rate of the stream being opened or open. */
  #converter: FrameRateConverter | undefined;
  #lastFrameRateHz: number | undefined;
  /** Generations whose stream is finishing after a rate switch: their results still count. */
  readonly #retiring = new Set<number>();
  readonly #retirements = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #generation = 0;
  #session = 0;
  #timeMs = 0;
  #startedAtMs = 0;
  #lastAudioWallMs = 0;
  #outageStartMs: number | undefined;
  #switchStartedWallMs: number | undefined;
  #switchReason: EngineFailureReason | undefined;

  constructor(deps: ChannelTranscriberDeps) {
    this.#deps = deps;
    this.#engine = deps.engine;
  }

  /** Audio time since the last start(). */
  get processedMs(): number {
    return this.#timeMs - this.#startedAtMs;
  }

  get running(): boolean {
    return this.#state !== 'stopped';
  }

  get engineName(): string {
    return this.#engine.name;
  }

  start(offsetMs: number): void {
    if (this.#state !== 'stopped' && this.#state !== 'failed') return;
    this.#timeMs = offsetMs;
    this.#startedAtMs = offsetMs;
    this.#session += 1;
    this.#open(offsetMs);
  }

  audio(frame: AudioFrame): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    const ms = frameDurationMs(frame);
    const rateChanged = frame.sampleRateHz !== this.#lastFrameRateHz;
    this.#lastFrameRateHz = frame.sampleRateHz;
    if (rateChanged && this.#state === 'open' && this.#wantsReopen()) this.#reopen();
    if (this.#state === 'open') this.#write(frame);
    const replay = this.#deps.fallback !== undefined && this.#engine !== this.#deps.fallback;
    if (this.#state === 'opening' || replay) {
      // Kept for later, so copied: the media layer's frames are not ours to keep.
      const held = {
        startMs: this.#timeMs,
        frame: { pcm: frame.pcm.slice(), sampleRateHz: frame.sampleRateHz },
      };
      if (this.#state === 'opening') this.#hold(held, ms);
      if (replay) this.#keepForReplay(held, ms);
    }
    this.#timeMs += ms;
    this.#lastAudioWallMs = this.#deps.now();
  }

  /** Closes the stream after its finals are delivered; start() may follow. */
  async stop(): Promise<void> {
    if (this.#state === 'opening') await this.#opening;
    this.#session += 1;
    clearTimeout(this.#timer);
    const stream = this.#stream;
    this.#stream = undefined;
    this.#state = 'stopped';
    this.#startedAtMs = this.#timeMs;
    this.#pending = [];
    this.#pendingMs = 0;
    this.#replay = [];
    this.#replayMs = 0;
    if (stream) await stream.finish();
    await Promise.all(this.#retirements);
  }

  #write(frame: AudioFrame): void {
    const converter = this.#converter;
    if (converter !== undefined) this.#stream?.write(converter.convert(frame).pcm);
  }

  /** The engine takes the new rate natively but the open stream runs at another one. */
  #wantsReopen(): boolean {
    const rate = this.#lastFrameRateHz;
    if (rate === undefined || this.#converter === undefined) return false;
    return streamRateHz(this.#engine, rate) !== this.#converter.targetRateHz;
  }

  /** Finishes the current stream in the background (its finals still arrive) and opens anew. */
  #reopen(): void {
    const stream = this.#stream;
    const generation = this.#generation;
    this.#stream = undefined;
    if (stream !== undefined) {
      this.#retiring.add(generation);
      const done = stream
        .finish()
        .catch((error: unknown) =>
          this.#deps.log.warn({ err: error }, 'engine stream finish failed'),
        )
        .finally(() => {
          this.#retiring.delete(generation);
          this.#retirements.delete(done);
        });
      this.#retirements.add(done);
    }
    this.#deps.log.info(
      { sampleRateHz: this.#lastFrameRateHz },
      'audio rate changed; engine stream reopened',
    );
    this.#open(this.#timeMs);
  }

  #open(baseMs: number): void {
    const session = this.#session;
    const generation = ++this.#generation;
    const engine = this.#engine;
    this.#state = 'opening';
    const sampleRateHz = streamRateHz(engine, this.#lastFrameRateHz ?? this.#deps.expectedRateHz);
    this.#converter = new FrameRateConverter(sampleRateHz);
    const { callId, channel, languageCode, log } = this.#deps;
    this.#opening = engine
      .open({
        callId,
        channel,
        sampleRateHz,
        languageCode,
        log,
        onResult: (result) => {
          if (generation === this.#generation || this.#retiring.has(generation))
            this.#onResult(generation, baseMs, result);
        },
        onError: (error) => {
          if (generation === this.#generation && this.#state === 'open') this.#failed(error);
        },
      })
      .then(
        (stream) => {
          if (session !== this.#session || generation !== this.#generation) {
            stream.abort();
            return;
          }
          this.#stream = stream;
          this.#state = 'open';
          if (this.#outageStartMs !== undefined && this.#switchStartedWallMs === undefined) {
            log.info(
              { gapMs: baseMs - this.#outageStartMs, attempt: this.#attempt },
              'engine stream reconnected',
            );
            this.#outageStartMs = undefined;
          }
          for (const held of this.#pending) this.#write(held.frame);
          this.#pending = [];
          this.#pendingMs = 0;
          this.#switched();
        },
        (error: unknown) => {
          if (session !== this.#session) return;
          this.#failed(error);
        },
      );
  }

  #failed(error: unknown): void {
    const retryable = isAppError(error)
      ? error.retryable
      : (error as { retryable?: boolean }).retryable === true;
    const reason = engineFailureReason(error);
    this.#stream = undefined;
    this.#pending = [];
    this.#pendingMs = 0;
    const fallback = this.#deps.fallback;
    if (
      fallback &&
      this.#engine !== fallback &&
      (!retryable || isRefusal(reason) || this.#attempt >= this.#deps.retryBudget)
    ) {
      this.#failOver(fallback, reason, error);
      return;
    }
    if (this.#outageStartMs === undefined) {
      this.#outageStartMs = this.#timeMs;
      this.#deps.onGap();
    }
    if (!retryable) {
      this.#state = 'failed';
      this.#deps.log.error(
        { err: error, engine: this.#engine.name },
        'engine stream failed permanently; channel no longer transcribed',
      );
      return;
    }
    const delayMs = Math.min(this.#deps.reconnectMaxMs, FIRST_BACKOFF_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#state = 'backoff';
    this.#deps.log.warn(
      { err: error, delayMs, attempt: this.#attempt, engine: this.#engine.name },
      'engine stream failed; reconnecting',
    );
    const session = this.#session;
    this.#timer = setTimeout(() => {
      if (session === this.#session && this.#state === 'backoff') this.#open(this.#timeMs);
    }, delayMs);
  }

  /**
   * The fallback takes the rest of the channel. Its stream starts where the last final of the
   * failed engine ended: that audio is replayed, then what arrived meanwhile, then live audio.
   */
  #failOver(fallback: SpeechEngine, reason: EngineFailureReason, error: unknown): void {
    const from = this.#engine.name;
    // The call logs the switch once (warn, code ENGINE_FAILOVER); this is the channel's detail.
    this.#deps.log.debug(
      { err: error, from, to: fallback.name, reason },
      'engine failed the stream; switching to the fallback engine',
    );
    this.#engine = fallback;
    this.#attempt = 0;
    this.#switchStartedWallMs = this.#deps.now();
    this.#switchReason = reason;
    const replayStartMs = this.#replay[0]?.startMs ?? this.#timeMs;
    this.#pending = this.#replay;
    this.#pendingMs = this.#replayMs;
    this.#replay = [];
    this.#replayMs = 0;
    this.#open(replayStartMs);
  }

  #switched(): void {
    if (this.#switchStartedWallMs === undefined) return;
    const switchMs = this.#deps.now() - this.#switchStartedWallMs;
    this.#switchStartedWallMs = undefined;
    this.#outageStartMs = undefined;
    this.#deps.onFailover({
      from: this.#deps.engine.name,
      to: this.#engine.name,
      reason: this.#switchReason ?? 'other',
      switchMs,
    });
  }

  #onResult(generation: number, baseMs: number, result: SpeechResult): void {
    // A stream that produces results works: the next failure starts back-off from the beginning.
    this.#attempt = 0;
    if (this.#engine === this.#deps.engine) this.#deps.onEngineWorked(this.#engine);
    const startMs = baseMs + result.startMs;
    const endMs = baseMs + Math.max(result.startMs, result.endMs);
    if (!result.isPartial) this.#confirmed(endMs);
    const latencyMs = result.isPartial
      ? undefined
      : this.#deps.now() - (this.#lastAudioWallMs - (this.#timeMs - endMs));
    this.#deps.onSegment(
      {
        segmentId: `${this.#deps.channel}-${generation}-${result.resultId}`,
        startMs,
        endMs,
        text: result.text,
        isPartial: result.isPartial,
        ...(result.confidence === undefined ? {} : { confidence: result.confidence }),
      },
      latencyMs,
    );
  }

  /** Audio up to a final's end needs no replay. */
  #confirmed(untilMs: number): void {
    while (this.#replay.length > 0) {
      const first = this.#replay[0];
      if (!first) break;
      const ms = frameDurationMs(first.frame);
      if (first.startMs + ms > untilMs) break;
      this.#replay.shift();
      this.#replayMs -= ms;
    }
  }

  #keepForReplay(held: HeldAudio, ms: number): void {
    this.#replay.push(held);
    this.#replayMs += ms;
    while (this.#replayMs > MAX_REPLAY_MS) {
      const dropped = this.#replay.shift();
      if (!dropped) break;
      this.#replayMs -= frameDurationMs(dropped.frame);
    }
  }

  #hold(held: HeldAudio, ms: number): void {
    this.#pending.push(held);
    this.#pendingMs += ms;
    const maxMs =
      this.#switchStartedWallMs === undefined ? MAX_PENDING_MS : MAX_REPLAY_MS + MAX_PENDING_MS;
    while (this.#pendingMs > maxMs) {
      const dropped = this.#pending.shift();
      if (!dropped) break;
      this.#pendingMs -= frameDurationMs(dropped.frame);
    }
  }
}
