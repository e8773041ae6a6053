import { randomBytes } from 'node:crypto';
import {
  loadSrtpLibrary,
  SRTP_LIBRARY_APT_PACKAGES,
} from '../../src/adapters/srtp/load-srtp-library.js';
import type { SrtpLibrary, SrtpLibraryName } from '../../src/adapters/srtp/srtp-library.js';
import {
  inlineKeyBytes,
  type SrtpKeying,
  type SrtpSuiteName,
} from '../../src/adapters/srtp/srtp-suites.js';
import { requireTool } from './tools.js';

/** An SRTP library for the SRTP tests: skipped visibly on a bare machine, required under CI. */
export function srtpLibraryTool(name: SrtpLibraryName): {
  available: boolean;
  library: SrtpLibrary | null;
} {
  const loaded = loadSrtpLibrary(name);
  const check = requireTool(SRTP_LIBRARY_APT_PACKAGES[name], () => loaded.ok);
  return { available: check.available, library: loaded.ok ? loaded.library : null };
}

/** libsrtp2, the reference implementation: what the test SBCs protect with. */
export function libsrtpTool(): { available: boolean; library: SrtpLibrary | null } {
  return srtpLibraryTool('libsrtp2');
}

export function randomKeying(suite: SrtpSuiteName): SrtpKeying {
  return { suite, keyAndSalt: new Uint8Array(randomBytes(inlineKeyBytes(suite))) };
}

export function inlineKey(keying: SrtpKeying): string {
  return Buffer.from(keying.keyAndSalt).toString('base64');
}

/**
 * The sending SBC's side: SRTP made by an SRTP library, libsrtp's srtp_protect in most tests
 * (for the GCM suites, which ffmpeg's SRTP muxer lacks, and for exact control of sequence
 * numbers and tampering).
 */
export class SrtpTestSender {
  readonly #session;
  constructor(library: SrtpLibrary, keying: SrtpKeying) {
    this.#session = library.outbound(keying);
  }

  protect(rtp: Buffer): Buffer {
    const out = Buffer.alloc(rtp.length + 64);
    rtp.copy(out);
    const length = this.#session.process(out, rtp.length);
    if (typeof length !== 'number') throw new Error(`protect failed: ${length}`);
    return out.subarray(0, length);
  }

  close(): void {
    this.#session.close();
  }
}
