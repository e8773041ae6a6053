import { randomBytes } from 'node:crypto';
import { loadLibsrtp, type Libsrtp } from '../../src/adapters/srtp/libsrtp.js';
import {
  inlineKeyBytes,
  type SrtpKeying,
  type SrtpSuiteName,
} from '../../src/adapters/srtp/srtp-suites.js';
import { requireTool } from './tools.js';

/** libsrtp2-1 for the SRTP tests: skipped visibly on a bare machine, required under CI. */
export function libsrtpTool(): { available: boolean; libsrtp: Libsrtp | null } {
  const loaded = loadLibsrtp();
  const check = requireTool('libsrtp2-1', () => loaded.ok);
  return { available: check.available, libsrtp: loaded.ok ? loaded.libsrtp : null };
}

export function randomKeying(suite: SrtpSuiteName): SrtpKeying {
  return { suite, keyAndSalt: new Uint8Array(randomBytes(inlineKeyBytes(suite))) };
}

export function inlineKey(keying: SrtpKeying): string {
  return Buffer.from(keying.keyAndSalt).toString('base64');
}

/**
 * The sending SBC's side: SRTP made by libsrtp's srtp_protect (for the GCM suites, which
 * ffmpeg's SRTP muxer lacks, and for exact control of sequence numbers and tampering).
 */
export class SrtpTestSender {
  readonly #session;
  constructor(libsrtp: Libsrtp, keying: SrtpKeying) {
    this.#session = libsrtp.outbound(keying);
  }

  protect(rtp: Buffer): Buffer {
    const out = Buffer.alloc(rtp.length + 64);
    rtp.copy(out);
    const length = this.#session.process(out, rtp.length);
    if (typeof length !== 'number') throw new Error(`srtp_protect failed: ${length}`);
    return out.subarray(0, length);
  }

  close(): void {
    this.#session.close();
  }
}
