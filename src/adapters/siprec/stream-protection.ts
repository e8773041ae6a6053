import { chooseCrypto, type AcceptedCrypto, type OfferedCryptoLine } from '../srtp/sdes-crypto.js';
import type { SrtpSupport } from '../srtp/srtp-support.js';

const plainRtpProfiles: ReadonlySet<string> = new Set(['RTP/AVP', 'RTP/AVPF']);
/** SDES-keyed SRTP (RFC 4568); DTLS-SRTP (UDP/TLS/RTP/SAVP) is out of scope. */
const sdesSrtpProfiles: ReadonlySet<string> = new Set(['RTP/SAVP', 'RTP/SAVPF']);

export function isPlainRtp(protocol: string): boolean {
  return plainRtpProfiles.has(protocol.toUpperCase());
}

export function isSdesSrtp(protocol: string): boolean {
  return sdesSrtpProfiles.has(protocol.toUpperCase());
}

/** Why an audio m-line makes the whole offer unacceptable (488). */
export type ProtectionRefusal = 'srtp-required' | 'srtp-no-supported-suite' | 'srtp-unavailable';

/**
 * How one offered audio m-line is answered under `srtpPolicy`: plain RTP, SRTP with the chosen
 * `a=crypto`, declined (port 0, like any line callscribe cannot record), or a refusal of the
 * whole offer. Refusals are 488s rather than declines because the SBC then knows what to change:
 * declining a line would record a call with a party missing.
 */
export type StreamProtection =
  | { kind: 'rtp' }
  | { kind: 'srtp'; crypto: AcceptedCrypto }
  | { kind: 'declined' }
  | { kind: 'refused'; reason: ProtectionRefusal };

export function streamProtection(
  protocol: string,
  cryptoLines: readonly OfferedCryptoLine[],
  srtp: SrtpSupport,
): StreamProtection {
  if (isPlainRtp(protocol))
    return srtp.policy === 'required'
      ? { kind: 'refused', reason: 'srtp-required' }
      : { kind: 'rtp' };
  if (!isSdesSrtp(protocol) || srtp.policy === 'off') return { kind: 'declined' };
  if (!srtp.available) return { kind: 'refused', reason: 'srtp-unavailable' };
  const crypto = chooseCrypto(cryptoLines);
  return crypto === null
    ? { kind: 'refused', reason: 'srtp-no-supported-suite' }
    : { kind: 'srtp', crypto };
}
