import type { AudioFrame } from './audio-frame.js';

const EMPTY = new Int16Array(0);

/**
 * Gathers one stream's frames (20 ms packets, usually) into chunks of `chunkMs`, so that what
 * runs per chunk (engine writes, messages to a speech worker, the recording's interleaving
 * calls) runs a few times less often than per packet. Speech services want chunks of this
 * size anyway (Amazon Transcribe suggests 50–200 ms).
 *
 * A chunk is lent like any frame: its PCM is this chunker's buffer, overwritten by later pushes.
 * A change of rate (a codec switch) first emits what was held at the old rate. `flush` emits a
 * short chunk; the owner calls it wherever audio must not wait (a pause, the end, silence
 * written around it).
 */
export class FrameChunker {
  readonly #chunkMs: number;
  readonly #emit: (frame: AudioFrame) => void;
  #buffer: Int16Array = EMPTY;
  #rateHz = 0;
  #fill = 0;

  constructor(chunkMs: number, emit: (frame: AudioFrame) => void) {
    this.#chunkMs = chunkMs;
    this.#emit = emit;
  }

  push(frame: AudioFrame): void {
    const pcm = frame.pcm;
    if (frame.sampleRateHz !== this.#rateHz) {
      this.flush();
      this.#rateHz = frame.sampleRateHz;
      this.#buffer = new Int16Array(
        Math.max(1, Math.round((frame.sampleRateHz * this.#chunkMs) / 1000)),
      );
    }
    const buffer = this.#buffer;
    if (this.#fill === 0 && pcm.length === buffer.length) {
      // Already a whole chunk: handed on as it came (it is lent either way).
      this.#emit(frame);
      return;
    }
    let offset = 0;
    while (offset < pcm.length) {
      const n = Math.min(pcm.length - offset, buffer.length - this.#fill);
      buffer.set(n === pcm.length ? pcm : pcm.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      offset += n;
      if (this.#fill === buffer.length) this.#emitHeld();
    }
  }

  /** Emits what is held now, as a shorter chunk; nothing when nothing is held. */
  flush(): void {
    if (this.#fill > 0) this.#emitHeld();
  }

  #emitHeld(): void {
    const fill = this.#fill;
    this.#fill = 0;
    const pcm = fill === this.#buffer.length ? this.#buffer : this.#buffer.subarray(0, fill);
    this.#emit({ pcm, sampleRateHz: this.#rateHz });
  }
}
