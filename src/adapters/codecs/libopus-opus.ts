import type { LibraryHandle } from 'koffi';
import {
  payloadOf,
  type AudioDecoder,
  type AudioDecoderFactory,
} from '../../media/audio-decoder.js';
import { CODECS } from '../../media/codecs.js';

export const LIBOPUS_SONAME = 'libopus.so.0';
const OUTPUT_RATE_HZ = CODECS.opus.outputRateHz;
/** 120 ms, the longest Opus packet (RFC 6716 §3.2.5), at the output rate. */
const MAX_PACKET_SAMPLES = (OUTPUT_RATE_HZ * 120) / 1000;
/** Concealment works in whole 2.5 ms steps (the shortest Opus frame). */
const CONCEAL_STEP_SAMPLES = (OUTPUT_RATE_HZ * 2.5) / 1000;

/**
 * Opus through Debian's libopus0. The decoder is created mono at 16 kHz: libopus decodes any
 * Opus stream (mono or stereo, any coded bandwidth) to the rate and channel count asked for,
 * downmixing stereo itself, so RFC 7587's `opus/48000/2` rtpmap says nothing about what arrives.
 * Lost packets use libopus' own concealment (decode with no data).
 */
export function libopusFactory(lib: LibraryHandle): AudioDecoderFactory {
  const create = lib.func('void *opus_decoder_create(int32_t, int, _Out_ int *)');
  const destroy = lib.func('void opus_decoder_destroy(void *)');
  const decode = lib.func('int opus_decode(void *, const uint8_t *, int32_t, int16_t *, int, int)');
  const codec = CODECS.opus;

  class LibopusDecoder implements AudioDecoder {
    readonly codec = codec;
    readonly outputRateHz = OUTPUT_RATE_HZ;
    #state: unknown;
    readonly #scratch = new Int16Array(MAX_PACKET_SAMPLES);

    constructor() {
      const error = [0];
      this.#state = create(OUTPUT_RATE_HZ, 1, error);
      if (!this.#state) throw new Error(`opus_decoder_create failed (${error[0]})`);
    }

    decode(packet: Uint8Array, offset: number, length: number): Int16Array {
      const payload = payloadOf(packet, offset, length);
      if (this.#state === null || payload.length === 0) return new Int16Array(0);
      const n = decode(this.#state, payload, payload.length, this.#scratch, MAX_PACKET_SAMPLES, 0);
      return (n as number) > 0 ? this.#scratch.slice(0, n as number) : new Int16Array(0);
    }

    conceal(samples: number): Int16Array {
      const wanted = Math.max(0, samples);
      const pcm = new Int16Array(wanted);
      if (this.#state === null) return pcm;
      let at = 0;
      while (wanted - at >= CONCEAL_STEP_SAMPLES) {
        const step = Math.min(
          MAX_PACKET_SAMPLES,
          Math.floor((wanted - at) / CONCEAL_STEP_SAMPLES) * CONCEAL_STEP_SAMPLES,
        );
        const n = decode(this.#state, null, 0, this.#scratch, step, 0) as number;
        if (n <= 0) break;
        pcm.set(this.#scratch.subarray(0, n), at);
        at += n;
      }
      return pcm;
    }

    close(): void {
      if (this.#state === null) return;
      destroy(this.#state);
      this.#state = null;
    }
  }

  return { codec, implementation: LIBOPUS_SONAME, create: () => new LibopusDecoder() };
}
