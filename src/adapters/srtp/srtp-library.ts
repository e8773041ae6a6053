import type { SrtpKeying } from './srtp-suites.js';

/** Why a packet was refused, as counted in callscribe_rtp_dropped_total. */
export type SrtpDropReason = 'srtp-auth-failed' | 'srtp-replayed' | 'srtp-invalid';

/** One SRTP crypto context for one direction of one stream. */
export interface SrtpSession {
  /**
   * Verifies and decrypts (or, outbound, encrypts) in place; returns the new length or why the
   * packet was refused. `packet` must have room for the SRTP trailer when protecting.
   */
  process(packet: Uint8Array, length: number): number | SrtpDropReason;
  /** Idempotent; `process` refuses every packet afterwards. */
  close(): void;
}

/**
 * The SRTP cryptography callscribe uses (RFC 3711 wire format, SDES keying), whichever native
 * library implements it: callscribe fills keys and calls it, it never does the crypto itself.
 */
export interface SrtpLibrary {
  /** Receives from any SSRC of the peer (RFC 3711 key sharing across SSRCs of one sender). */
  inbound(keying: SrtpKeying): SrtpSession;
  /** The sending side, used by test peers and the benchmark to produce SRTP. */
  outbound(keying: SrtpKeying): SrtpSession;
}

/** `srtpLibrary`: which native SRTP implementation backs the port. */
export const SRTP_LIBRARY_NAMES = ['libre', 'libsrtp2'] as const;
export type SrtpLibraryName = (typeof SRTP_LIBRARY_NAMES)[number];

export type LoadedSrtpLibrary = { ok: true; library: SrtpLibrary } | { ok: false; reason: string };
