import { AppError } from '../../../domain/errors.js';

/**
 * Integer-factor PCM16 upsampler (zero-stuffing + windowed-sinc low-pass, polyphase). It keeps
 * the last input samples between calls: resampling each 20 ms packet on its own adds a click per
 * packet, which the speech-engine research measured as a large WER loss.
 */
export class FirUpsampler {
  readonly factor: number;
  readonly #phases: Float32Array[];
  readonly #tapsPerPhase: number;
  /** The previous `tapsPerPhase - 1` input samples, oldest first. */
  #history: Float32Array;

  constructor(fromRateHz: number, toRateHz: number, tapsPerPhase = 16) {
    if (toRateHz < fromRateHz || toRateHz % fromRateHz !== 0) {
      throw new AppError(
        'ENGINE_UNAVAILABLE',
        'engine sample rate is not an integer multiple of the input rate',
        {
          details: { fromRateHz, toRateHz },
        },
      );
    }
    this.factor = toRateHz / fromRateHz;
    this.#tapsPerPhase = tapsPerPhase;
    this.#phases = designPolyphase(this.factor, tapsPerPhase);
    this.#history = new Float32Array(tapsPerPhase - 1);
  }

  process(input: Int16Array): Int16Array {
    if (this.factor === 1) return input;
    const taps = this.#tapsPerPhase;
    const hist = this.#history.length;
    const buf = new Float32Array(hist + input.length);
    buf.set(this.#history, 0);
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i] ?? 0;
    const out = new Int16Array(input.length * this.factor);
    for (let n = 0; n < input.length; n++) {
      const newest = hist + n;
      for (let p = 0; p < this.factor; p++) {
        const h = this.#phases[p] as Float32Array;
        let acc = 0;
        for (let k = 0; k < taps; k++) acc += (h[k] ?? 0) * (buf[newest - k] ?? 0);
        out[n * this.factor + p] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
      }
    }
    this.#history = buf.slice(buf.length - hist);
    return out;
  }
}

/** Low-pass at the input Nyquist, gain `factor` (zero-stuffing divides the level by it). */
function designPolyphase(factor: number, tapsPerPhase: number): Float32Array[] {
  const length = factor * tapsPerPhase;
  const centre = (length - 1) / 2;
  const cutoff = 0.5 / factor;
  const proto = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = i - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const blackman =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * i) / (length - 1)) +
      0.08 * Math.cos((4 * Math.PI * i) / (length - 1));
    proto[i] = sinc * blackman * factor;
  }
  const phases: Float32Array[] = [];
  for (let p = 0; p < factor; p++) {
    const h = new Float32Array(tapsPerPhase);
    for (let k = 0; k < tapsPerPhase; k++) h[k] = proto[k * factor + p] ?? 0;
    phases.push(h);
  }
  return phases;
}
