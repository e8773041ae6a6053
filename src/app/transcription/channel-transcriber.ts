import type { Logger } from 'pino';
import { FirUpsampler } from '../../adapters/speech/audio/fir-upsampler.js';
import type { Channel } from '../../domain/call.js';
import {
  engineFailureReason,
  isRefusal,
  type EngineFailureReason,
} from '../../domain/engine-failover.js';
import { isAppError } from '../../domain/errors.js';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../ports/speech-engine.js';
import { engineRateHz } from './engine-rate.js';

const INPUT_RATE_HZ = 8000;
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
  pcm: Int16Array;
}

/**
 * One channel of one call on the speech engine. Time is counted from the audio itself, in
 * call-processing milliseconds, and keeps counting while the engine is down, so segment times
 * after a reconnect (or a pause) line up with the recording. When the engine refuses or loses
 * the stream for good and a fallback is configured, the fallback gets the rest of the channel,
 * starting with the audio since the last final result.
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
  #resampler: FirUpsampler;
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
    this.#resampler = new FirUpsampler(INPUT_RATE_HZ, engineRateHz(deps.engine));
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

  audio(pcm8k: Int16Array): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    const ms = (pcm8k.length * 1000) / INPUT_RATE_HZ;
    const held = { startMs: this.#timeMs, pcm: pcm8k.slice() };
    if (this.#state === 'open') this.#stream?.write(this.#resampler.process(pcm8k));
    else if (this.#state === 'opening') this.#hold(held, ms);
    if (this.#deps.fallback && this.#engine !== this.#deps.fallback) this.#keepForReplay(held, ms);
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
  }

  #open(baseMs: number): void {
    const session = this.#session;
    const generation = ++this.#generation;
    const engine = this.#engine;
    this.#state = 'opening';
    this.#resampler = new FirUpsampler(INPUT_RATE_HZ, engineRateHz(engine));
    const { callId, channel, languageCode, log } = this.#deps;
    this.#opening = engine
      .open({
        callId,
        channel,
        sampleRateHz: engineRateHz(engine),
        languageCode,
        log,
        onResult: (result) => {
          if (generation === this.#generation) this.#onResult(generation, baseMs, result);
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
          for (const held of this.#pending) stream.write(this.#resampler.process(held.pcm));
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
      const ms = (first.pcm.length * 1000) / INPUT_RATE_HZ;
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
      this.#replayMs -= (dropped.pcm.length * 1000) / INPUT_RATE_HZ;
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
      this.#pendingMs -= (dropped.pcm.length * 1000) / INPUT_RATE_HZ;
    }
  }
}
