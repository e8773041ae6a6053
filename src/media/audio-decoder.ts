import type { CodecDescriptor } from './codecs.js';
import type { PcmSlab } from './pcm-slab.js';

/**
 * One RTP stream's decoder for one codec. Stateful (prediction, filter memory, native state),
 * so each stream owns its own; synchronous and free of I/O and logging, so the whole receive
 * path can run in a worker thread.
 */
export interface AudioDecoder {
  readonly codec: CodecDescriptor;
  /** Rate of the PCM `decode` and `conceal` return. */
  readonly outputRateHz: number;
  /**
   * One RTP payload (possibly several codec frames), bytes `offset` to `offset + length` of
   * `packet`, to mono PCM16 at `outputRateHz`. A payload the codec cannot read yields an empty
   * array, never noise. The receiver hands over the datagram as it came, with the payload's
   * place in it, so a packet costs no view of its payload (a typed array per packet showed in
   * profiles at hundreds of calls).
   *
   * The array may be the decoder's own buffer, or the scratch it shares with the other
   * decoders of its thread (`DecoderOptions`), overwritten by a later `decode` or `conceal` of
   * any of them (so that a packet costs no allocation): read it before the next packet, and
   * copy what you keep. The same holds for `conceal`.
   */
  decode(packet: Uint8Array, offset: number, length: number): Int16Array;
  /**
   * Stands in for `samples` of lost audio (at `outputRateHz`): the codec's own packet-loss
   * concealment where it has one, silence otherwise. It never returns more than asked.
   */
  conceal(samples: number): Int16Array;
  /** Frees native state; the decoder is unusable afterwards. Idempotent. */
  close(): void;
}

export interface DecoderOptions {
  /**
   * Where decoders that write PCM in JavaScript put it: one slab shared by every stream that one
   * thread receives. A slab per stream, going round, is thousands of cache lines per media
   * worker at hundreds of calls, each line written cold once per round; a shared one stays in
   * L1. Decoders without it make their own.
   */
  scratch?: PcmSlab;
}

/** The payload `decode` was given, as its own view, for decoders that hand it to a library. */
export function payloadOf(packet: Uint8Array, offset: number, length: number): Uint8Array {
  if (offset === 0 && length === packet.length) return packet;
  // A plain view: a Buffer's subarray builds a Buffer (a subclass) through a slower path.
  return new Uint8Array(packet.buffer, packet.byteOffset + offset, length);
}

/** Makes decoders of one codec; what the codec registry holds. */
export interface AudioDecoderFactory {
  readonly codec: CodecDescriptor;
  /** Where the decoder comes from, for the start-up log (`built-in`, `libopus.so.0`, ...). */
  readonly implementation: string;
  create(options?: DecoderOptions): AudioDecoder;
}
