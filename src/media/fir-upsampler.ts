import { clampPcm16, designPolyphase, type SparseTaps } from './fir-design.js';
import type { Resampler } from './resampler.js';

/**
 * Integer-factor PCM16 upsampler (zero-stuffing + windowed-sinc low-pass, polyphase). It keeps
 * the last input samples between calls: resampling each 20 ms packet on its own adds a click per
 * packet, which the speech-engine research measured as a large WER loss. It runs per packet on
 * narrowband streams answered alongside wideband codecs, so the loop is kept tight: sparse
 * branches, a work buffer reused across calls.
 */
export class FirUpsampler implements Resampler {
  readonly fromRateHz: number;
  readonly toRateHz: number;
  readonly factor: number;
  readonly #phases: SparseTaps[];
  readonly #history: number;
  /** The previous `history` input samples, then the current input. */
  #work: Float64Array;

  constructor(fromRateHz: number, factor: number, tapsPerPhase = 16) {
    this.fromRateHz = fromRateHz;
    this.toRateHz = fromRateHz * factor;
    this.factor = factor;
    this.#phases = designPolyphase(factor, tapsPerPhase, 0.5 / factor, factor);
    this.#history = Math.max(...this.#phases.map((p) => p.delays[p.delays.length - 1] ?? 0));
    this.#work = new Float64Array(this.#history + 320);
  }

  process(input: Int16Array): Int16Array {
    const factor = this.factor;
    const hist = this.#history;
    const needed = hist + input.length;
    if (this.#work.length < needed) {
      const grown = new Float64Array(needed);
      grown.set(this.#work.subarray(0, hist));
      this.#work = grown;
    }
    const work = this.#work;
    for (let i = 0; i < input.length; i++) work[hist + i] = input[i]!;
    const out = new Int16Array(input.length * factor);
    for (let p = 0; p < factor; p++) {
      const { delays, coefficients } = this.#phases[p]!;
      const count = delays.length;
      for (let n = 0; n < input.length; n++) {
        const newest = hist + n;
        let acc = 0;
        for (let j = 0; j < count; j++) acc += coefficients[j]! * work[newest - delays[j]!]!;
        out[n * factor + p] = clampPcm16(acc);
      }
    }
    // Keep the newest `hist` samples at the front for the next call.
    work.copyWithin(0, input.length, needed);
    return out;
  }
}
