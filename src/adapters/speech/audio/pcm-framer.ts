/** Cuts arbitrary-length PCM16 writes into fixed frames, keeping the remainder for the next write. */
export class PcmFramer {
  readonly frameSamples: number;
  #pending: Int16Array = new Int16Array(0);

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
  }

  push(pcm: Int16Array): Int16Array[] {
    const all = this.#pending.length === 0 ? pcm : concat(this.#pending, pcm);
    const frames: Int16Array[] = [];
    let offset = 0;
    while (all.length - offset >= this.frameSamples) {
      frames.push(all.slice(offset, offset + this.frameSamples));
      offset += this.frameSamples;
    }
    this.#pending = all.slice(offset);
    return frames;
  }

  /** The incomplete last frame, if any, and an empty buffer afterwards. */
  drain(): Int16Array | undefined {
    const rest = this.#pending;
    this.#pending = new Int16Array(0);
    return rest.length > 0 ? rest : undefined;
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
