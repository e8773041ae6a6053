const EMPTY = new Int16Array(0);

/** Cuts arbitrary-length PCM16 writes into fixed frames, keeping the remainder for the next write. */
export class PcmFramer {
  readonly frameSamples: number;
  #pending: Int16Array = EMPTY;
  /**
   * The frames last visited as views, and the array they view. A chunker hands its one buffer
   * over chunk after chunk, so the same views serve every chunk instead of a new typed array
   * per frame (one per packet, at 20 ms packets and frames).
   */
  #viewsOf: Int16Array = EMPTY;
  readonly #views: Int16Array[] = [];

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
  }

  /** The complete frames, each a copy its receiver may keep. */
  push(pcm: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    this.visit(pcm, (frame) => {
      frames.push(frame.slice());
      return true;
    });
    return frames;
  }

  /**
   * Like `push`, for a consumer that only reads each frame while `visit` runs: frames that lie
   * whole inside `pcm` are passed as views, not copies. `visit` returns false to stop (the rest
   * is dropped, as a closed stream drops it).
   */
  visit(pcm: Int16Array, visit: (frame: Int16Array) => boolean): void {
    const all = this.#pending.length === 0 ? pcm : concat(this.#pending, pcm);
    if (all.length === this.frameSamples) {
      // A write of exactly one frame (one 20 ms packet, the usual case): no view to make.
      this.#pending = EMPTY;
      visit(all);
      return;
    }
    let offset = 0;
    while (all.length - offset >= this.frameSamples) {
      const frame = this.#viewAt(all, offset);
      offset += this.frameSamples;
      if (!visit(frame)) {
        this.#pending = EMPTY;
        return;
      }
    }
    this.#pending = offset === all.length ? EMPTY : all.slice(offset);
  }

  #viewAt(all: Int16Array, offset: number): Int16Array {
    if (all !== this.#viewsOf) {
      this.#viewsOf = all;
      this.#views.length = 0;
    }
    const index = offset / this.frameSamples;
    let view = this.#views[index];
    if (view === undefined) {
      view = all.subarray(offset, offset + this.frameSamples);
      this.#views[index] = view;
    }
    return view;
  }

  /** The incomplete last frame, if any, and an empty buffer afterwards. */
  drain(): Int16Array | undefined {
    const rest = this.#pending;
    this.#pending = EMPTY;
    return rest.length > 0 ? rest : undefined;
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
