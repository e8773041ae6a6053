import type { AudioStream } from '@aws-sdk/client-transcribe-streaming';

/**
 * Turns write() calls into the AsyncIterable the SDK pulls AudioEvents from, re-cut into chunks
 * of `chunkBytes`: Transcribe wants 50–200 ms per event, the RTP edge delivers 20 ms.
 */
export class AudioChunkQueue implements AsyncIterable<AudioStream> {
  readonly #chunkBytes: number;
  readonly #ready: Uint8Array[] = [];
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }

  push(pcm: Int16Array): void {
    if (this.#ended) return;
    // Copied: the caller may reuse its buffer, and the SDK reads the chunk later.
    const bytes = new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
    this.#partial.push(bytes);
    this.#partialBytes += bytes.length;
    if (this.#partialBytes >= this.#chunkBytes) this.#flush();
  }

  end(): void {
    if (this.#ended) return;
    this.#flush();
    this.#ended = true;
    this.#signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AudioStream> {
    for (;;) {
      const chunk = this.#ready.shift();
      if (chunk) {
        yield { AudioEvent: { AudioChunk: chunk } };
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #flush(): void {
    if (this.#partialBytes === 0) return;
    const chunk = new Uint8Array(this.#partialBytes);
    let offset = 0;
    for (const part of this.#partial) {
      chunk.set(part, offset);
      offset += part.length;
    }
    this.#partial = [];
    this.#partialBytes = 0;
    this.#ready.push(chunk);
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
