import type { AudioDecoderFactory } from './audio-decoder.js';
import { codecFor, type CodecDescriptor, type CodecName } from './codecs.js';

/**
 * The decoders this process can run, by codec. Built once by the composition root from the
 * built-in G.711 and whichever native libraries loaded; a codec without a decoder is simply
 * not offered in SDP answers.
 */
export class CodecRegistry {
  readonly #factories = new Map<CodecName, AudioDecoderFactory>();

  constructor(factories: readonly AudioDecoderFactory[]) {
    for (const factory of factories) this.#factories.set(factory.codec.name, factory);
  }

  /** The decoder factory for an offered rtpmap, or undefined when callscribe cannot decode it. */
  find(encodingName: string, clockRateHz: number): AudioDecoderFactory | undefined {
    const codec = codecFor(encodingName, clockRateHz);
    return codec === null ? undefined : this.#factories.get(codec.name);
  }

  get(name: CodecName): AudioDecoderFactory | undefined {
    return this.#factories.get(name);
  }

  available(): CodecDescriptor[] {
    return [...this.#factories.values()].map((f) => f.codec);
  }
}
