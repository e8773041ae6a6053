import type { SpeechResult } from '../../../ports/speech-engine.js';
import { createResampler, type Resampler } from '../../../media/resampler.js';
import { EnergyGate } from '../audio/energy-gate.js';
import { PcmFramer } from '../audio/pcm-framer.js';
import type { PocketsphinxLib } from './pocketsphinx-ffi.js';

export interface StreamDecoderOptions {
  inputRateHz: number;
  /** Least audio time between two partials of one utterance. */
  partialIntervalMs?: number;
  /** Quiet time after which audio stops reaching the decoder (once it has closed the utterance). */
  hangoverMs?: number;
  /** Audio kept while gated, replayed when speech returns, so word onsets are not cut. */
  preRollMs?: number;
}

const FRAME_MS = 20;
const DECODER_RATE_HZ = 16_000;

/**
 * One audio stream on one pocketsphinx decoder. Silence is gated off (a quiet channel, which is
 * half of every two-party call, then costs almost nothing), utterances end on the decoder's own
 * VAD (in-speech 1→0), and times come from the energy gate because the decoder's frame counter
 * skips gated audio.
 */
export class PocketsphinxStreamDecoder {
  readonly #lib: PocketsphinxLib;
  readonly #decoder: unknown;
  readonly #framer: PcmFramer;
  readonly #upsampler: Resampler;
  readonly #gate = new EnergyGate();
  readonly #partialIntervalMs: number;
  readonly #hangoverMs: number;
  readonly #preRollFrames: number;
  #preRoll: Int16Array[] = [];
  #timeMs = 0;
  #feeding = false;
  #inUtterance = false;
  #quietMs = 0;
  #speechStartMs: number | undefined;
  #lastVoicedEndMs = 0;
  #lastPartialAtMs = -Infinity;
  #lastPartialText = '';
  #utterance = 0;

  constructor(lib: PocketsphinxLib, decoder: unknown, options: StreamDecoderOptions) {
    this.#lib = lib;
    this.#decoder = decoder;
    this.#framer = new PcmFramer((options.inputRateHz * FRAME_MS) / 1000);
    this.#upsampler = createResampler(options.inputRateHz, DECODER_RATE_HZ);
    this.#partialIntervalMs = options.partialIntervalMs ?? 200;
    this.#hangoverMs = options.hangoverMs ?? 1000;
    this.#preRollFrames = Math.ceil((options.preRollMs ?? 300) / FRAME_MS);
    lib.startUtt(decoder);
  }

  /** Audio time fed so far, gated or not. */
  get timeMs(): number {
    return this.#timeMs;
  }

  write(pcm: Int16Array): SpeechResult[] {
    const results: SpeechResult[] = [];
    for (const frame of this.#framer.push(pcm)) this.#frame(frame, results);
    return results;
  }

  /** Closes the open utterance; the decoder is left ready for a reset. */
  finish(): SpeechResult[] {
    const results: SpeechResult[] = [];
    const rest = this.#framer.drain();
    if (rest) this.#frame(rest, results);
    this.#lib.endUtt(this.#decoder);
    const text = this.#lib.hypothesis(this.#decoder);
    if ((this.#feeding || this.#inUtterance) && (text !== '' || this.#lastPartialText !== '')) {
      results.push(this.#result(text, false));
    }
    this.#feeding = false;
    this.#inUtterance = false;
    return results;
  }

  #frame(frame: Int16Array, results: SpeechResult[]): void {
    const frameMs = (frame.length * FRAME_MS) / this.#framer.frameSamples;
    const startMs = this.#timeMs;
    this.#timeMs += frameMs;
    const voiced = this.#gate.isVoiced(frame);
    if (voiced) {
      this.#quietMs = 0;
      this.#lastVoicedEndMs = this.#timeMs;
      this.#speechStartMs ??= startMs;
    } else {
      this.#quietMs += frameMs;
    }
    // Upsample every frame, fed or not, so the filter state stays continuous.
    const pcm16k = this.#upsampler.process(frame);
    if (!this.#feeding) {
      if (!voiced) {
        this.#preRoll.push(pcm16k);
        if (this.#preRoll.length > this.#preRollFrames) this.#preRoll.shift();
        return;
      }
      this.#feeding = true;
      for (const held of this.#preRoll) this.#lib.processRaw(this.#decoder, held);
      this.#preRoll = [];
    }
    this.#lib.processRaw(this.#decoder, pcm16k);
    const inSpeech = this.#lib.inSpeech(this.#decoder);
    if (inSpeech) this.#inUtterance = true;
    if (this.#inUtterance && !inSpeech) {
      this.#lib.endUtt(this.#decoder);
      const text = this.#lib.hypothesis(this.#decoder);
      this.#lib.startUtt(this.#decoder);
      if (text !== '' || this.#lastPartialText !== '') results.push(this.#result(text, false));
      this.#nextUtterance();
      return;
    }
    if (this.#inUtterance && this.#timeMs - this.#lastPartialAtMs >= this.#partialIntervalMs) {
      this.#lastPartialAtMs = this.#timeMs;
      const text = this.#lib.hypothesis(this.#decoder);
      if (text !== '' && text !== this.#lastPartialText) {
        this.#lastPartialText = text;
        results.push(this.#result(text, true));
      }
    }
    if (!this.#inUtterance && this.#quietMs >= this.#hangoverMs) {
      // A blip the decoder never took for speech: forget it so it cannot stretch the next start time.
      this.#feeding = false;
      this.#speechStartMs = undefined;
    }
  }

  #result(text: string, isPartial: boolean): SpeechResult {
    const startMs = this.#speechStartMs ?? this.#lastVoicedEndMs;
    return {
      resultId: String(this.#utterance),
      text,
      startMs,
      endMs: Math.max(startMs, isPartial ? this.#timeMs : this.#lastVoicedEndMs),
      isPartial,
    };
  }

  #nextUtterance(): void {
    this.#utterance += 1;
    this.#inUtterance = false;
    this.#speechStartMs = undefined;
    this.#lastPartialText = '';
    this.#lastPartialAtMs = -Infinity;
  }
}
