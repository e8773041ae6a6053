import type { SrtpDropReason, SrtpLibrary, SrtpSession } from './srtp-library.js';
import type { SrtpKeying } from './srtp-suites.js';

/** Why a datagram on an SRTP stream carries no audio. */
export type SrtpRefusal = SrtpDropReason | 'srtcp-ignored';

/** After a re-keying re-INVITE, packets under the old key still in flight are accepted this long. */
const PREVIOUS_KEY_PACKETS = 200;
/**
 * While a call is parked its packets are not decrypted, but the SRTP library must still see one now and
 * then: it guesses the rollover counter from how far the sequence number moved since the last
 * authenticated packet, and that guess fails past half the sequence space (RFC 3711 §3.3.1).
 */
const TRACK_EVERY_SEQ = 4096;
const RTP_MIN_BYTES = 12;

/**
 * SRTP receive side of one stream: verifies and decrypts each datagram with the SRTP library
 * (the rollover counter and the replay window are the library's), in place. Self-contained, like the
 * RTP receiver it feeds: it runs wherever the receive path runs, main thread or media worker.
 */
export class SrtpUnprotector {
  readonly #library: SrtpLibrary;
  #current: SrtpSession;
  #previous: SrtpSession | null = null;
  #previousBudget = 0;
  /** The datagram as it came, kept for the old key while one is pending; reused, grown on demand. */
  #original: Buffer | null = null;
  #lastAuthenticatedSeq = -1;

  constructor(library: SrtpLibrary, keying: SrtpKeying) {
    this.#library = library;
    this.#current = library.inbound(keying);
  }

  /** A new key from a re-INVITE: a fresh crypto context, the old one kept for stragglers. */
  rekey(keying: SrtpKeying): void {
    const next = this.#library.inbound(keying);
    this.#previous?.close();
    this.#previous = this.#current;
    this.#previousBudget = PREVIOUS_KEY_PACKETS;
    this.#current = next;
    this.#lastAuthenticatedSeq = -1;
  }

  /**
   * The plain RTP packet (a view of `packet`, which is decrypted in place), or why there is none.
   * RTCP multiplexed on the RTP port (RFC 5761) is SRTCP: accepted and ignored.
   */
  unprotect(packet: Buffer): Buffer | SrtpRefusal {
    if (packet.length < RTP_MIN_BYTES) return 'srtp-invalid';
    const type = packet[1]!;
    if (type >= 192 && type <= 223) return 'srtcp-ignored';
    const previous = this.#previous;
    if (previous === null)
      return this.#accept(packet, this.#current.process(packet, packet.length));
    // An AEAD suite decrypts in place before its tag check fails: the old key needs the original.
    // One scratch buffer per stream instead of a copy per packet of the re-key window.
    const length = packet.length;
    let original = this.#original;
    if (original === null || original.length < length) {
      original = Buffer.allocUnsafe(Math.max(length, 1500));
      this.#original = original;
    }
    packet.copy(original, 0, 0, length);
    let result = this.#current.process(packet, length);
    if (typeof result !== 'number') {
      const old = previous.process(original, length);
      if (typeof old === 'number') {
        original.copy(packet, 0, 0, length);
        result = old;
      }
    }
    if (--this.#previousBudget <= 0) {
      previous.close();
      this.#previous = null;
      this.#original = null;
    }
    return this.#accept(packet, result);
  }

  #accept(packet: Buffer, result: number | SrtpDropReason): Buffer | SrtpRefusal {
    if (typeof result !== 'number') return result;
    this.#lastAuthenticatedSeq = packet.readUInt16BE(2);
    return packet.subarray(0, result);
  }

  /** A packet of a parked stream, about to be discarded: authenticated now and then only. */
  track(packet: Buffer): void {
    if (packet.length < RTP_MIN_BYTES) return;
    const moved = (packet.readUInt16BE(2) - this.#lastAuthenticatedSeq) & 0xffff;
    if (this.#lastAuthenticatedSeq < 0 || moved >= TRACK_EVERY_SEQ) this.unprotect(packet);
  }

  close(): void {
    this.#current.close();
    this.#previous?.close();
    this.#previous = null;
    this.#original = null;
  }
}
