import type { Logger } from 'pino';
import { FirUpsampler } from '../../adapters/speech/audio/fir-upsampler.js';
import type { Channel } from '../../domain/call.js';
import { isAppError } from '../../domain/errors.js';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../ports/speech-engine.js';

const INPUT_RATE_HZ = 8000;
const FIRST_BACKOFF_MS = 250;
/** Audio held while a stream opens (decoder warm-up, TLS handshake); beyond it, the oldest goes. */
const MAX_PENDING_MS = 10_000;

export interface ChannelSegment {
  segmentId: string;
  startMs: number;
  endMs: number;
  text: string;
  isPartial: boolean;
  confidence?: number;
}

export interface ChannelTranscriberDeps {
  engine: SpeechEngine;
  callId: string;
  channel: Channel;
  languageCode: string;
  sampleRateHz: number;
  reconnectMaxMs: number;
  log: Logger;
  now: () => number;
  onSegment(segment: ChannelSegment, latencyMs: number | undefined): void;
  onGap(): void;
}

type State = 'stopped' | 'opening' | 'open' | 'backoff' | 'failed';

/**
 * One channel of one call on the speech engine. Time is counted from the audio itself, in
 * call-processing milliseconds, and keeps counting while the engine is down, so segment times
 * after a reconnect (or a pause) line up with the recording.
 */
export class ChannelTranscriber {
  readonly #deps: ChannelTranscriberDeps;
  #state: State = 'stopped';
  #stream: SpeechStream | undefined;
  #opening: Promise<void> = Promise.resolve();
  #pending: Int16Array[] = [];
  #pendingMs = 0;
  #resampler: FirUpsampler;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #generation = 0;
  #session = 0;
  #timeMs = 0;
  #startedAtMs = 0;
  #lastAudioWallMs = 0;
  #outageStartMs: number | undefined;

  constructor(deps: ChannelTranscriberDeps) {
    this.#deps = deps;
    this.#resampler = new FirUpsampler(INPUT_RATE_HZ, deps.sampleRateHz);
  }

  /** Audio time since the last start(). */
  get processedMs(): number {
    return this.#timeMs - this.#startedAtMs;
  }

  get running(): boolean {
    return this.#state !== 'stopped';
  }

  start(offsetMs: number): void {
    if (this.#state !== 'stopped' && this.#state !== 'failed') return;
    this.#timeMs = offsetMs;
    this.#startedAtMs = offsetMs;
    this.#session += 1;
    this.#open();
  }

  audio(pcm8k: Int16Array): void {
    if (this.#state === 'stopped' || this.#state === 'failed') return;
    const ms = (pcm8k.length * 1000) / INPUT_RATE_HZ;
    if (this.#state === 'open') this.#stream?.write(this.#resampler.process(pcm8k));
    else if (this.#state === 'opening') this.#hold(pcm8k, ms);
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
    if (stream) await stream.finish();
  }

  #open(): void {
    const session = this.#session;
    const generation = ++this.#generation;
    const baseMs = this.#timeMs;
    this.#state = 'opening';
    this.#resampler = new FirUpsampler(INPUT_RATE_HZ, this.#deps.sampleRateHz);
    const { engine, callId, channel, languageCode, sampleRateHz, log } = this.#deps;
    this.#opening = engine
      .open({
        callId,
        channel,
        sampleRateHz,
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
          if (this.#outageStartMs !== undefined) {
            log.info(
              { gapMs: baseMs - this.#outageStartMs, attempt: this.#attempt },
              'engine stream reconnected',
            );
            this.#outageStartMs = undefined;
          }
          for (const held of this.#pending) stream.write(this.#resampler.process(held));
          this.#pending = [];
          this.#pendingMs = 0;
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
    this.#stream = undefined;
    this.#pending = [];
    this.#pendingMs = 0;
    if (this.#outageStartMs === undefined) {
      this.#outageStartMs = this.#timeMs;
      this.#deps.onGap();
    }
    if (!retryable) {
      this.#state = 'failed';
      this.#deps.log.error(
        { err: error },
        'engine stream failed permanently; channel no longer transcribed',
      );
      return;
    }
    const delayMs = Math.min(this.#deps.reconnectMaxMs, FIRST_BACKOFF_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#state = 'backoff';
    this.#deps.log.warn(
      { err: error, delayMs, attempt: this.#attempt },
      'engine stream failed; reconnecting',
    );
    const session = this.#session;
    this.#timer = setTimeout(() => {
      if (session === this.#session && this.#state === 'backoff') this.#open();
    }, delayMs);
  }

  #onResult(generation: number, baseMs: number, result: SpeechResult): void {
    // A stream that produces results works: the next failure starts back-off from the beginning.
    this.#attempt = 0;
    const startMs = baseMs + result.startMs;
    const endMs = baseMs + Math.max(result.startMs, result.endMs);
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

  #hold(pcm8k: Int16Array, ms: number): void {
    this.#pending.push(pcm8k.slice());
    this.#pendingMs += ms;
    while (this.#pendingMs > MAX_PENDING_MS) {
      const dropped = this.#pending.shift();
      if (!dropped) break;
      this.#pendingMs -= (dropped.length * 1000) / INPUT_RATE_HZ;
    }
  }
}
