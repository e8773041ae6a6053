import type { SpeechResult } from '../../../ports/speech-engine.js';
import { EnergyGate } from '../audio/energy-gate.js';
import { PcmFramer } from '../audio/pcm-framer.js';
import { toFloat } from './online-stream-decoder.js';
import type { OfflineRecognizer, Vad } from './sherpa-recognizer.js';

export interface SegmentationOptions {
  sampleRateHz: number;
  maxSegmentMs: number;
  endSilenceMs: number;
  partialIntervalMs: number;
}

const FRAME_MS = 20;
const PRE_ROLL_MS = 300;

/**
 * One stream on an offline model (Whisper, Parakeet, SenseVoice, ...), made live by cutting it
 * into speech segments: each segment is decoded whole when it ends (a final), the open one is
 * re-decoded every `partialIntervalMs` (partials), and `maxSegmentMs` bounds a final's latency.
 * Segments are cut by the energy gate, or by Silero VAD when given one (`vad`, fed 16 kHz).
 */
export class SegmentingStreamDecoder {
  readonly #recognizer: OfflineRecognizer;
  readonly #options: SegmentationOptions;
  readonly #framer: PcmFramer;
  readonly #gate = new EnergyGate();
  readonly #vad: Vad | undefined;
  #preRoll: Float32Array[] = [];
  #segment: Float32Array[] | undefined;
  #segmentStartMs = 0;
  #voicedStartMs = 0;
  #lastVoicedEndMs = 0;
  #quietMs = 0;
  #timeMs = 0;
  #lastPartialAtMs = 0;
  #lastPartialText = '';
  #utterance = 0;

  constructor(recognizer: OfflineRecognizer, options: SegmentationOptions, vad?: Vad) {
    this.#recognizer = recognizer;
    this.#options = options;
    this.#framer = new PcmFramer((options.sampleRateHz * FRAME_MS) / 1000);
    this.#vad = vad;
  }

  write(pcm: Int16Array): SpeechResult[] {
    const out: SpeechResult[] = [];
    for (const frame of this.#framer.push(pcm)) this.#frame(frame, out);
    return out;
  }

  finish(): SpeechResult[] {
    const out: SpeechResult[] = [];
    const rest = this.#framer.drain();
    if (rest) this.#frame(rest, out);
    if (this.#segment) this.#close(out);
    return out;
  }

  #frame(pcm: Int16Array, out: SpeechResult[]): void {
    const frameMs = (pcm.length * 1000) / this.#options.sampleRateHz;
    const startMs = this.#timeMs;
    this.#timeMs += frameMs;
    const samples = toFloat(pcm);
    const voiced = this.#voiced(pcm, samples);
    if (!this.#segment) {
      if (!voiced) {
        this.#preRoll.push(samples);
        if (this.#preRoll.length > PRE_ROLL_MS / FRAME_MS) this.#preRoll.shift();
        return;
      }
      this.#segment = [...this.#preRoll];
      this.#segmentStartMs = startMs - this.#preRoll.length * FRAME_MS;
      this.#voicedStartMs = startMs;
      this.#lastPartialAtMs = startMs;
      this.#preRoll = [];
      this.#quietMs = 0;
    }
    this.#segment.push(samples);
    if (voiced) {
      this.#quietMs = 0;
      this.#lastVoicedEndMs = this.#timeMs;
    } else this.#quietMs += frameMs;
    if (
      this.#quietMs >= this.#options.endSilenceMs ||
      this.#timeMs - this.#segmentStartMs >= this.#options.maxSegmentMs
    ) {
      this.#close(out);
      return;
    }
    const interval = this.#options.partialIntervalMs;
    if (interval > 0 && this.#timeMs - this.#lastPartialAtMs >= interval) {
      this.#lastPartialAtMs = this.#timeMs;
      const text = this.#decode(this.#segment);
      if (text !== '' && text !== this.#lastPartialText) {
        this.#lastPartialText = text;
        out.push(this.#result(text, true, this.#timeMs));
      }
    }
  }

  #voiced(pcm: Int16Array, samples: Float32Array): boolean {
    if (!this.#vad) return this.#gate.isVoiced(pcm);
    this.#vad.acceptWaveform(samples);
    // Segments are cut here; the VAD's own queue only needs to stay empty.
    while (!this.#vad.isEmpty()) this.#vad.pop();
    return this.#vad.isDetected();
  }

  #close(out: SpeechResult[]): void {
    const segment = this.#segment ?? [];
    this.#segment = undefined;
    const text = this.#decode(segment);
    if (text !== '' || this.#lastPartialText !== '') {
      out.push(this.#result(text, false, this.#lastVoicedEndMs));
      this.#utterance += 1;
    }
    this.#lastPartialText = '';
    this.#quietMs = 0;
  }

  #decode(frames: Float32Array[]): string {
    let length = 0;
    for (const f of frames) length += f.length;
    const samples = new Float32Array(length);
    let offset = 0;
    for (const f of frames) {
      samples.set(f, offset);
      offset += f.length;
    }
    const stream = this.#recognizer.createStream();
    stream.acceptWaveform({ samples, sampleRate: this.#options.sampleRateHz });
    this.#recognizer.decode(stream);
    return (this.#recognizer.getResult(stream).text ?? '').trim().toLowerCase();
  }

  #result(text: string, isPartial: boolean, endMs: number): SpeechResult {
    const startMs = Math.round(this.#voicedStartMs);
    return {
      resultId: String(this.#utterance),
      text,
      startMs,
      endMs: Math.max(startMs, Math.round(endMs)),
      isPartial,
    };
  }
}
