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
  readonly #taps: Float32Array;
  #history: Float32Array;
  /** Index, in the next input, of the newest sample of the next output. */
  #next: number;

  constructor(fromRateHz: number, factor: number, tapsPerPhase = 16) {
    this.fromRateHz = fromRateHz;
    this.toRateHz = fromRateHz / factor;
    this.factor = factor;
    // One branch holding the whole prototype: the decimator runs it once per output sample.
    const [taps] = designPolyphase(1, factor * tapsPerPhase, 0.5 / factor, 1);
    this.#taps = taps!;
    this.#history = new Float32Array(this.#taps.length - 1);
    this.#next = factor - 1;
  }

  process(input: Int16Array): Int16Array {
    const taps = this.#taps;
    const length = taps.length;
    const factor = this.factor;
    const hist = this.#history.length;
    const buf = new Float32Array(hist + input.length);
    buf.set(this.#history, 0);
    for (let i = 0; i < input.length; i++) buf[hist + i] = input[i]!;
    const first = this.#next;
    const count = first < input.length ? Math.floor((input.length - 1 - first) / factor) + 1 : 0;
    const out = new Int16Array(count);
    for (let m = 0; m < count; m++) {
      const newest = hist + first + m * factor;
      let acc = 0;
      for (let k = 0; k < length; k++) acc += taps[k]! * buf[newest - k]!;
      out[m] = clampPcm16(acc);
    }
    this.#next = first + count * factor - input.length;
    this.#history = buf.slice(buf.length - hist);
    return out;
  }
}
