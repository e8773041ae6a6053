import type { LibraryHandle } from 'koffi';
import {
  payloadOf,
  type AudioDecoder,
  type AudioDecoderFactory,
} from '../../media/audio-decoder.js';
import { CODECS } from '../../media/codecs.js';

export const BCG729_SONAME = 'libbcg729.so.0';
/** RFC 3551 §4.5.6: 10 ms frames of 10 octets, optionally ended by one 2-octet Annex B SID frame. */
const FRAME_OCTETS = 10;
const SID_OCTETS = 2;
const FRAME_SAMPLES = 80;

/**
 * G.729 / G.729A with Annex B through Debian's libbcg729-0. A packet holds any number of speech
 * frames and at most one SID frame at its end; the SID frame decodes to comfort noise. Lost
 * frames go through bcg729's frame-erasure path: concealment after speech, comfort noise after
 * a SID (Annex B's untransmitted frames), so a DTX gap sounds like the line, not like a hole.
 */
export function bcg729Factory(lib: LibraryHandle): AudioDecoderFactory {
  const init = lib.func('void *initBcg729DecoderChannel(void)');
  const close = lib.func('void closeBcg729DecoderChannel(void *)');
  const decodeFrame = lib.func(
    'void bcg729Decoder(void *, const uint8_t *, uint8_t, uint8_t, uint8_t, uint8_t, int16_t *)',
  );
  const codec = CODECS.G729;
  const erased = new Uint8Array(FRAME_OCTETS);

  class Bcg729Decoder implements AudioDecoder {
    readonly codec = codec;
    readonly outputRateHz = codec.outputRateHz;
    #state: unknown;

    constructor() {
      this.#state = init();
      if (!this.#state) throw new Error('initBcg729DecoderChannel failed');
    }

    decode(packet: Uint8Array, offset: number, length: number): Int16Array {
      const payload = payloadOf(packet, offset, length);
      const state = this.#state;
      const speechFrames = Math.floor(payload.length / FRAME_OCTETS);
      const rest = payload.length - speechFrames * FRAME_OCTETS;
      // Anything but 0 or 2 trailing octets is not a G.729 payload: decode nothing rather than noise.
      if (state === null || (rest !== 0 && rest !== SID_OCTETS)) return new Int16Array(0);
      const frames = speechFrames + (rest === SID_OCTETS ? 1 : 0);
      const pcm = new Int16Array(frames * FRAME_SAMPLES);
      for (let f = 0; f < speechFrames; f++) {
        const bits = payload.subarray(f * FRAME_OCTETS, (f + 1) * FRAME_OCTETS);
        decodeFrame(state, bits, FRAME_OCTETS, 0, 0, 0, pcm.subarray(f * FRAME_SAMPLES));
      }
      if (rest === SID_OCTETS) {
        const sid = payload.subarray(speechFrames * FRAME_OCTETS);
        decodeFrame(state, sid, SID_OCTETS, 0, 1, 0, pcm.subarray(speechFrames * FRAME_SAMPLES));
      }
      return pcm;
    }

    conceal(samples: number): Int16Array {
      const state = this.#state;
      const wanted = Math.max(0, samples);
      const pcm = new Int16Array(wanted);
      if (state === null) return pcm;
      const frame = new Int16Array(FRAME_SAMPLES);
      for (let at = 0; at < wanted; at += FRAME_SAMPLES) {
        decodeFrame(state, erased, FRAME_OCTETS, 1, 0, 0, frame);
        pcm.set(frame.subarray(0, Math.min(FRAME_SAMPLES, wanted - at)), at);
      }
      return pcm;
    }

    close(): void {
      if (this.#state === null) return;
      close(this.#state);
      this.#state = null;
    }
  }

  return { codec, implementation: BCG729_SONAME, create: () => new Bcg729Decoder() };
}
