/**
 * Hands out PCM16 arrays carved from larger zeroed slabs, so that a stream's per-packet frames
 * cost one ArrayBuffer per slab instead of one each: every ArrayBuffer has a native backing
 * store whose allocation, tracking and sweeping cost more than decoding a G.711 packet.
 *
 * A region is handed out once and never reused, so a frame stays valid (and zero where nothing
 * was written) for as long as anyone holds it; a holder keeps its whole slab alive, which is why
 * slabs are small and owned per stream (a decoder), not shared by a thread.
 */
export class PcmSlab {
  readonly #slabSamples: number;
  #slab: Int16Array;
  #used = 0;

  constructor(slabSamples = 2048) {
    this.#slabSamples = slabSamples;
    this.#slab = new Int16Array(0);
  }

  take(samples: number): Int16Array {
    const wanted = Math.max(0, samples);
    // Big requests (seconds of concealment, long frames) get arrays of their own.
    if (wanted > this.#slabSamples / 4) return new Int16Array(wanted);
    if (this.#used + wanted > this.#slab.length) {
      this.#slab = new Int16Array(this.#slabSamples);
      this.#used = 0;
    }
    const out = this.#slab.subarray(this.#used, this.#used + wanted);
    this.#used += wanted;
    return out;
  }
}
