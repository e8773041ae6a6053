import { randomBytes } from 'node:crypto';
import { inlineKeyBytes, isSrtpSuite, type SrtpKeying, type SrtpSuiteName } from './srtp-suites.js';

/** One `a=crypto` line of an offer (RFC 4568 §9.1), as sdp-transform splits it. */
export interface OfferedCryptoLine {
  id: number | string;
  suite: string;
  config: string;
  sessionConfig?: string;
}

export interface AcceptedCrypto {
  /** The offer's tag, echoed in the answer (RFC 4568 §5.1.2). */
  tag: number;
  keying: SrtpKeying;
}

/** Session parameters that leave the protection as the SRTP library's default applies it. */
const HARMLESS_SESSION_PARAMS = /^(WSH=\d+|FEC_ORDER=(FEC_SRTP|SRTP_FEC))$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The first offered crypto line callscribe can honour, in the offer's order of preference:
 * a known suite, one inline key of the suite's length, no MKI (one key per direction is what
 * every SBC sends) and no session parameter that weakens or changes the protection
 * (UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP, KDR ...). The lifetime is not enforced: the
 * default (2^48 packets for SRTP) is beyond any call.
 */
export function chooseCrypto(lines: readonly OfferedCryptoLine[]): AcceptedCrypto | null {
  for (const line of lines) {
    const tag = Number(line.id);
    if (!Number.isInteger(tag) || tag < 0 || tag > 999_999_999) continue;
    const suite = String(line.suite).trim();
    if (!isSrtpSuite(suite)) continue;
    const session = String(line.sessionConfig ?? '').trim();
    if (session !== '' && !session.split(/\s+/).every((p) => HARMLESS_SESSION_PARAMS.test(p)))
      continue;
    const key = inlineKey(String(line.config), suite);
    if (key === null) continue;
    return { tag, keying: { suite, keyAndSalt: key } };
  }
  return null;
}

function inlineKey(config: string, suite: SrtpSuiteName): Uint8Array | null {
  // Several key parameters (`;`-separated) only make sense with MKIs.
  if (config.includes(';') || !config.startsWith('inline:')) return null;
  const [keySalt, ...rest] = config.slice('inline:'.length).split('|');
  if (keySalt === undefined || !BASE64.test(keySalt)) return null;
  // A lifetime (`2^31` or a number) may follow; a field with `:` is an MKI.
  if (rest.length > 1 || rest.some((field) => field.includes(':'))) return null;
  const key = Buffer.from(keySalt, 'base64');
  return key.length === inlineKeyBytes(suite) ? new Uint8Array(key) : null;
}

/** A fresh key for our side of one stream: callscribe never sends media, but RFC 4568 needs one. */
export function freshKeying(suite: SrtpSuiteName): SrtpKeying {
  return { suite, keyAndSalt: new Uint8Array(randomBytes(inlineKeyBytes(suite))) };
}

/** The answer's `a=crypto` value, without the `a=crypto:` prefix split the sdp-transform way. */
export function answerCryptoLine(
  tag: number,
  keying: SrtpKeying,
): { id: number; suite: string; config: string } {
  return {
    id: tag,
    suite: keying.suite,
    config: `inline:${Buffer.from(keying.keyAndSalt).toString('base64')}`,
  };
}

/**
 * SDP with every key parameter blanked: for any log line or stored copy of an SDP body.
 * Covers `a=crypto` (RFC 4568) and the `k=` line of RFC 4566.
 */
export function redactSdpKeys(sdp: string): string {
  return sdp
    .split(/(\r?\n)/)
    .map((line) => {
      if (/^a=crypto:/i.test(line)) return line.replace(/inline:[^\s|;]+/gi, 'inline:[redacted]');
      if (/^k=/i.test(line)) return 'k=[redacted]';
      return line;
    })
    .join('');
}
