import { clampPcm16, designPolyphase } from './fir-design.js';
import type { Resampler } from './resampler.js';

/**
 * Integer-factor PCM16 decimator: low-pass at the output Nyquist, then keep every `factor`-th
 * sample. History and the decimation phase carry over between calls, so a stream cut into
 * packets of any length comes out identical to the stream resampled in one piece.
 */
export class FirDownsampler implements Resampler {
  readonly fromRateHz: number;
  readonly toRateHz: number;
  readonly factor: number;
  readonly #delays: Int32Array;
  readonly #coefficients: Float64Array;
  readonly #history: number;
  /** The previous `history` input samples, then the current input. */
  #work: Float64Array;
  /** Index, in the next input, of the newest sample of the next output. */
  #next: number;

  constructor(fromRateHz: number, factor: number, tapsPerPhase = 16) {
    this.fromRateHz = fromRateHz;
    this.toRateHz = fromRateHz / factor;
    this.factor = factor;
    // One branch holding the whole prototype: the decimator runs it once per output sample.
    const [taps] = designPolyphase(1, factor * tapsPerPhase, 0.5 / factor, 1);
    this.#delays = taps!.delays;
    this.#coefficients = taps!.coefficients;
    this.#history = this.#delays[this.#delays.length - 1] ?? 0;
    this.#work = new Float64Array(this.#history + 640);
    this.#next = factor - 1;
  }

  process(input: Int16Array): Int16Array {
    const delays = this.#delays;
    const coefficients = this.#coefficients;
    const count = delays.length;
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
    const first = this.#next;
    const outputs = first < input.length ? Math.floor((input.length - 1 - first) / factor) + 1 : 0;
    const out = new Int16Array(outputs);
    for (let m = 0; m < outputs; m++) {
      const newest = hist + first + m * factor;
      let acc = 0;
      for (let j = 0; j < count; j++) acc += coefficients[j]! * work[newest - delays[j]!]!;
      out[m] = clampPcm16(acc);
    }
    this.#next = first + outputs * factor - input.length;
    work.copyWithin(0, input.length, needed);
    return out;
  }
}
