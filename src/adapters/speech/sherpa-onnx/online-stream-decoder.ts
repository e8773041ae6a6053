import type { SpeechResult } from '../../../ports/speech-engine.js';
import type { OnlineRecognizer, OnlineStream } from './sherpa-recognizer.js';

const PARTIAL_INTERVAL_MS = 200;
/** Trailing silence fed at finish so the model emits its last tokens. */
const TAIL_PADDING_MS = 400;
/** A token is stamped near the start of its sound; the sound lasts a little longer. */
const LAST_TOKEN_MS = 250;

/**
 * One stream on a streaming (online) recognizer: decodes as audio arrives, partials when the
 * text changes (at most every 200 ms of audio), finals at sherpa-onnx's endpoint or on finish.
 */
export class OnlineStreamDecoder {
  readonly #recognizer: OnlineRecognizer;
  readonly #stream: OnlineStream;
  readonly #sampleRateHz: number;
  #timeMs = 0;
  #utterance = 0;
  #lastText = '';
  #lastPartialAtMs = -Infinity;

  constructor(recognizer: OnlineRecognizer, sampleRateHz: number) {
    this.#recognizer = recognizer;
    this.#stream = recognizer.createStream();
    this.#sampleRateHz = sampleRateHz;
  }

  write(pcm: Int16Array): SpeechResult[] {
    this.#stream.acceptWaveform({ samples: toFloat(pcm), sampleRate: this.#sampleRateHz });
    this.#timeMs += (pcm.length * 1000) / this.#sampleRateHz;
    return this.#decode(false);
  }

  finish(): SpeechResult[] {
    const padding = new Float32Array(Math.round((this.#sampleRateHz * TAIL_PADDING_MS) / 1000));
    this.#stream.acceptWaveform({ samples: padding, sampleRate: this.#sampleRateHz });
    this.#stream.inputFinished();
    return this.#decode(true);
  }

  #decode(final: boolean): SpeechResult[] {
    const r = this.#recognizer;
    while (r.isReady(this.#stream)) r.decode(this.#stream);
    const result = r.getResult(this.#stream);
    const text = (result.text ?? '').trim().toLowerCase();
    const segmentStartMs = (result.start_time ?? 0) * 1000;
    const stamps = result.timestamps ?? [];
    const startMs = Math.round(segmentStartMs + (stamps[0] ?? 0) * 1000);
    const out: SpeechResult[] = [];
    const emit = (isPartial: boolean, endMs: number): void => {
      out.push({
        resultId: String(this.#utterance),
        text,
        startMs,
        endMs: Math.max(startMs, Math.round(Math.min(this.#timeMs, endMs))),
        isPartial,
      });
    };
    if (final || r.isEndpoint(this.#stream)) {
      if (text !== '') emit(false, segmentStartMs + (stamps.at(-1) ?? 0) * 1000 + LAST_TOKEN_MS);
      if (!final) {
        r.reset(this.#stream);
        if (text !== '') this.#utterance += 1;
        this.#lastText = '';
        this.#lastPartialAtMs = -Infinity;
      }
      return out;
    }
    if (
      text !== '' &&
      text !== this.#lastText &&
      this.#timeMs - this.#lastPartialAtMs >= PARTIAL_INTERVAL_MS
    ) {
      this.#lastText = text;
      this.#lastPartialAtMs = this.#timeMs;
      emit(true, this.#timeMs);
    }
    return out;
  }
}

export function toFloat(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32768;
  return out;
}
