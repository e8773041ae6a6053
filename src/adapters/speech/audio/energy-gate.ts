/**
 * A frame-level energy voice detector with an adaptive noise floor. It is deliberately simple:
 * it only decides whether audio is worth sending to a decoder, so it errs towards "voiced"
 * (the decoder's own VAD makes the real utterance decisions).
 */
export interface EnergyGateOptions {
  /** Frames quieter than this are never voiced, whatever the noise floor. */
  minVoicedDbfs?: number;
  /** How far above the tracked noise floor a frame must be to count as voiced. */
  marginDb?: number;
}

export class EnergyGate {
  readonly #minVoicedDbfs: number;
  readonly #marginDb: number;
  #noiseFloorDbfs = -70;

  constructor(options: EnergyGateOptions = {}) {
    this.#minVoicedDbfs = options.minVoicedDbfs ?? -50;
    this.#marginDb = options.marginDb ?? 12;
  }

  /** True when the frame holds more than line noise. */
  isVoiced(frame: Int16Array): boolean {
    const level = frameDbfs(frame);
    // The floor drops at once and creeps up slowly (≈1 dB/s at 20 ms frames), so a long
    // utterance cannot drag it up to speech level.
    this.#noiseFloorDbfs = level < this.#noiseFloorDbfs ? level : this.#noiseFloorDbfs + 0.02;
    return level >= this.#minVoicedDbfs && level >= this.#noiseFloorDbfs + this.#marginDb;
  }
}

/** RMS level of a PCM16 frame in dB relative to full scale; digital silence gives -100. */
export function frameDbfs(frame: Int16Array): number {
  const n = frame.length;
  if (n === 0) return -100;
  // Four sums, four samples a turn: a quarter of the loop's overhead, for every frame of
  // every call (the sums are exact integers in a double either way).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = frame[i]!;
    const b = frame[i + 1]!;
    const c = frame[i + 2]!;
    const d = frame[i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) {
    const a = frame[i]!;
    s0 += a * a;
  }
  const rms = Math.sqrt((s0 + s1 + s2 + s3) / n);
  return rms < 1 ? -100 : 20 * Math.log10(rms / 32768);
}
