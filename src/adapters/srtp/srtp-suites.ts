/**
 * The SDES crypto suites callscribe accepts (RFC 4568 §6.2, RFC 7714 §12), with the length of
 * the inline key (master key then master salt). Library-specific names (policy setters, suite
 * numbers) live in each adapter.
 */
export const SRTP_SUITES = {
  AES_CM_128_HMAC_SHA1_80: {
    masterKeyBytes: 16,
    masterSaltBytes: 14,
  },
  AES_CM_128_HMAC_SHA1_32: {
    masterKeyBytes: 16,
    masterSaltBytes: 14,
  },
  AEAD_AES_128_GCM: {
    masterKeyBytes: 16,
    masterSaltBytes: 12,
  },
  AEAD_AES_256_GCM: {
    masterKeyBytes: 32,
    masterSaltBytes: 12,
  },
} as const;

export type SrtpSuiteName = keyof typeof SRTP_SUITES;

export const SRTP_SUITE_NAMES = Object.keys(SRTP_SUITES) as SrtpSuiteName[];

export function isSrtpSuite(name: string): name is SrtpSuiteName {
  return Object.hasOwn(SRTP_SUITES, name);
}

/** Bytes of the inline key parameter (master key || master salt) of a suite. */
export function inlineKeyBytes(suite: SrtpSuiteName): number {
  const s = SRTP_SUITES[suite];
  return s.masterKeyBytes + s.masterSaltBytes;
}

/**
 * The keying one direction of one stream uses: plain data, so it can be handed to a worker
 * thread that runs the receive path and builds its own unprotector there.
 */
export interface SrtpKeying {
  suite: SrtpSuiteName;
  /** Master key followed by master salt. */
  keyAndSalt: Uint8Array;
}

export function sameKeying(a: SrtpKeying | undefined, b: SrtpKeying | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.suite === b.suite && Buffer.from(a.keyAndSalt).equals(Buffer.from(b.keyAndSalt));
}
