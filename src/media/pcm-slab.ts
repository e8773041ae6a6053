/**
 * Hands out PCM16 arrays carved in turn from one slab, going round: frames then cost no
 * ArrayBuffer at all. Every ArrayBuffer has a native backing store whose allocation, tracking
 * and sweeping cost more than decoding a G.711 packet, and at hundreds of calls a fresh slab
 * per dozen packets was tens of MB/s of external memory, which made V8 run a full mark-compact
 * in each media worker every second or so.
 *
 * So a region is overwritten once the slab has gone round: after `slabSamples` of one stream
 * when the slab is a decoder's own, after as many of all the thread's streams when it is the
 * thread's shared decode scratch (`DecoderOptions.scratch`). That is the decoders' contract
 * (see `AudioDecoder`): a frame is read while it is handed on, and whoever keeps audio keeps a
 * copy. The slack of a whole slab is defence in depth, not a licence to hold frames.
 */
const NO_VIEW = new Int16Array(0);

export class PcmSlab {
  readonly #slabSamples: number;
  #slab: Int16Array;
  #used = 0;
  /**
   * The view last handed out at each (even) start, by start ÷ 2. Packets of one size land on
   * the same few starts round after round, so their views are made once, not once per packet
   * (a typed array per packet showed in profiles at hundreds of calls). A view is just a window
   * on the slab: handing the same one out again lends the same memory as a fresh one would.
   */
  #views: Int16Array[] = [];

  constructor(slabSamples = 2048) {
    this.#slabSamples = slabSamples - (slabSamples % 2);
    this.#slab = new Int16Array(0);
  }

  /**
   * Reserves `samples` of the slab and returns where they start (an even sample: every region
   * starts 4-byte aligned), or -1 when the request is too big for the slab (the caller then makes an
   * array of its own).
   */
  #place(samples: number): number {
    const wanted = Math.max(0, samples);
    // Big requests (seconds of concealment, long frames) get arrays of their own.
    if (wanted > this.#slabSamples / 4) return -1;
    const span = wanted + (wanted % 2);
    if (this.#used + span > this.#slab.length) {
      if (this.#slab.length === 0) {
        this.#slab = new Int16Array(this.#slabSamples);
        this.#views = new Array<Int16Array>(this.#slabSamples / 2).fill(NO_VIEW);
      }
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += span;
    return at;
  }

  /** `samples` to be overwritten whole by the caller (they hold old audio). */
  take(samples: number): Int16Array {
    const wanted = Math.max(0, samples);
    const at = this.#place(wanted);
    if (at < 0) return new Int16Array(wanted);
    const index = at >> 1;
    let view = this.#views[index]!;
    if (view.length !== wanted) {
      view = this.#slab.subarray(at, at + wanted);
      this.#views[index] = view;
    }
    return view;
  }

  /** `samples` of silence. */
  takeZeroed(samples: number): Int16Array {
    return this.take(samples).fill(0);
  }
}

/**
 * The decode scratch one receiving thread shares among its streams' decoders: 8 KB, which stays
 * in L1; packets of up to a quarter of it (128 ms of G.711) are decoded into it, longer ones get
 * arrays of their own.
 */
export function threadDecodeScratch(): PcmSlab {
  return new PcmSlab(4096);
}
