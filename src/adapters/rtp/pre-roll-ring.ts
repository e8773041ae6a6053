import { decodeG711Into } from './g711.js';

/**
 * The last `capacitySamples` of a parked stream, decoded. Fixed size from the start so a
 * long parked call never grows it.
 */
export class PreRollRing {
  readonly #samples: Int16Array;
  #writeAt = 0;
  #filled = 0;

  constructor(capacitySamples: number) {
    this.#samples = new Int16Array(Math.max(1, capacitySamples));
  }

  get length(): number {
    return this.#filled;
  }

  writeG711(table: Readonly<Int16Array>, src: Uint8Array, offset: number, length: number): void {
    const capacity = this.#samples.length;
    // Only the newest `capacity` bytes can survive, so skip the rest of an oversized payload.
    const skip = Math.max(0, length - capacity);
    let at = this.#writeAt;
    let remaining = length - skip;
    let from = offset + skip;
    while (remaining > 0) {
      const run = Math.min(remaining, capacity - at);
      decodeG711Into(table, src, from, run, this.#samples, at);
      at = (at + run) % capacity;
      from += run;
      remaining -= run;
    }
    this.#writeAt = at;
    this.#filled = Math.min(capacity, this.#filled + length - skip);
  }

  /** Oldest first; empties the ring. */
  drain(): Int16Array {
    const capacity = this.#samples.length;
    const out = new Int16Array(this.#filled);
    const start = (this.#writeAt - this.#filled + capacity) % capacity;
    const firstRun = Math.min(this.#filled, capacity - start);
    out.set(this.#samples.subarray(start, start + firstRun), 0);
    out.set(this.#samples.subarray(0, this.#filled - firstRun), firstRun);
    this.#filled = 0;
    this.#writeAt = 0;
    return out;
  }
}
