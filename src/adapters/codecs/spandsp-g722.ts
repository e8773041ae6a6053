import type { LibraryHandle } from 'koffi';
import {
  payloadOf,
  type AudioDecoder,
  type AudioDecoderFactory,
} from '../../media/audio-decoder.js';
import { CODECS } from '../../media/codecs.js';

export const SPANDSP_SONAME = 'libspandsp.so.2';
const G722_BIT_RATE = 64_000;
/** Each G.722 octet carries two 16 kHz samples. */
const SAMPLES_PER_OCTET = 2;

/**
 * G.722 through Debian's libspandsp2, decoding to 16 kHz (options 0: not the 8 kHz mode).
 * G.722 has no loss concealment in spandsp, so a lost packet is silence; the decoder's ADPCM
 * state simply carries on, as every G.722 receiver without Appendix III does.
 */
export function spandspG722Factory(lib: LibraryHandle): AudioDecoderFactory {
  const init = lib.func('void *g722_decode_init(void *, int, int)');
  const decode = lib.func('int g722_decode(void *, int16_t *, const uint8_t *, int)');
  const free = lib.func('int g722_decode_free(void *)');
  const codec = CODECS.G722;

  class SpandspG722Decoder implements AudioDecoder {
    readonly codec = codec;
    readonly outputRateHz = codec.outputRateHz;
    #state: unknown;

    constructor() {
      this.#state = init(null, G722_BIT_RATE, 0);
      if (!this.#state) throw new Error('g722_decode_init failed');
    }

    decode(packet: Uint8Array, offset: number, length: number): Int16Array {
      const payload = payloadOf(packet, offset, length);
      if (this.#state === null || payload.length === 0) return new Int16Array(0);
      const pcm = new Int16Array(payload.length * SAMPLES_PER_OCTET);
      const n = decode(this.#state, pcm, payload, payload.length) as number;
      return n === pcm.length ? pcm : pcm.subarray(0, Math.max(0, n));
    }

    conceal(samples: number): Int16Array {
      return new Int16Array(Math.max(0, samples));
    }

    close(): void {
      if (this.#state === null) return;
      free(this.#state);
      this.#state = null;
    }
  }

  return { codec, implementation: SPANDSP_SONAME, create: () => new SpandspG722Decoder() };
}
