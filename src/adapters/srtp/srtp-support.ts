import { SRTP_SUITE_NAMES } from './srtp-suites.js';

/** `srtpPolicy`: whether SDES-SRTP offers are declined, answered in kind, or demanded. */
export type SrtpPolicy = 'off' | 'optional' | 'required';

/** What the SDP answers of a node may do about SRTP. */
export interface SrtpSupport {
  policy: SrtpPolicy;
  /** The SRTP library loaded: without it SRTP offers are refused with a 488 that says why. */
  available: boolean;
  /** The Debian package of the configured library, named when it is missing. */
  aptPackage?: string;
}

/** For callers without configuration: SRTP lines are declined, as before SRTP support. */
export const NO_SRTP: SrtpSupport = { policy: 'off', available: false };

/** For the 488's Warning: the suites an SRTP offer must include one of. */
export function supportedSuitesText(): string {
  return SRTP_SUITE_NAMES.join(', ');
}
