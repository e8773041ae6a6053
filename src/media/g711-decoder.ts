import type { AudioDecoder, AudioDecoderFactory, DecoderOptions } from './audio-decoder.js';
import { CODECS, type CodecDescriptor } from './codecs.js';
import { decodeG711Into, g711Table, type G711Codec } from './g711.js';
import { PcmSlab } from './pcm-slab.js';

/**
 * G.711 in pure TypeScript (a table lookup per byte), so a machine without any codec library
 * still records every call that offers PCMU or PCMA. G.711 defines no loss concealment of its
 * own (Appendix I is optional), so lost packets become silence, as they always did here.
 */
class G711Decoder implements AudioDecoder {
  readonly outputRateHz = 8000;
  readonly #table: Readonly<Int16Array>;
  readonly #slab: PcmSlab;
  #closed = false;

  constructor(
    readonly codec: CodecDescriptor,
    options: DecoderOptions = {},
  ) {
    this.#table = g711Table(codec.name as G711Codec);
    this.#slab = options.scratch ?? new PcmSlab();
  }

  decode(packet: Uint8Array, offset: number, length: number): Int16Array {
    if (this.#closed) return new Int16Array(0);
    // From the datagram straight into the slab: no array is made per packet.
    const pcm = this.#slab.take(length);
    decodeG711Into(this.#table, packet, offset, length, pcm, 0);
    return pcm;
  }

  conceal(samples: number): Int16Array {
    return this.#slab.takeZeroed(samples);
  }

  close(): void {
    this.#closed = true;
  }
}

function g711Factory(name: G711Codec): AudioDecoderFactory {
  const codec = CODECS[name];
  return {
    codec,
    implementation: 'built-in',
    create: (options) => new G711Decoder(codec, options),
  };
}

export const pcmuDecoderFactory = g711Factory('PCMU');
export const pcmaDecoderFactory = g711Factory('PCMA');
