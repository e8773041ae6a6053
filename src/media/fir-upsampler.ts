import { clampPcm16, designPolyphase } from './fir-design.js';
import type { Resampler } from './resampler.js';

/**
 * Integer-factor PCM16 upsampler (zero-stuffing + windowed-sinc low-pass, polyphase). It keeps
 * the last input samples between calls: resampling each 20 ms packet on its own adds a click per
 * packet, which the speech-engine research measured as a large WER loss.
 */
export class FirUpsampler implements Resampler {
  readonly fromRateHz: number;
  readonly toRateHz: number;
  readonly factor: number;
  readonly #phases: Float32Array[];
  readonly #tapsPerPhase: number;
  /** The previous `tapsPerPhase - 1` input samples, oldest first. */
  #history: Float32Array;

  constructor(fromRateHz: number, factor: number, tapsPerPhase = 16) {
    this.fromRateHz = fromRateHz;
    this.toRateHz = fromRateHz * factor;
    this.factor = factor;
    this.#tapsPerPhase = tapsPerPhase;
    this.#phases = designPolyphase(factor, tapsPerPhase, 0.5 / factor, factor);
    this.#history = new Float32Array(tapsPerPhase - 1);
  }

  process(input: Int16Array): Int16Array {
    const taps = this.#tapsPerPhase;
    const factor = this.factor;
    const hist = this.#history.length;
    const buf = new Float32Array(hist + input.length);
    buf.set(this.#history, 0);
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i]!;
    const out = new Int16Array(input.length * factor);
    for (let n = 0; n < input.length; n++) {
      const newest = hist + n;
      for (let p = 0; p < factor; p++) {
        const h = this.#phases[p]!;
        let acc = 0;
        for (let k = 0; k < taps; k++) acc += h[k]! * buf[newest - k]!;
        out[n * factor + p] = clampPcm16(acc);
      }
    }
    this.#history = buf.slice(buf.length - hist);
    return out;
  }
}
