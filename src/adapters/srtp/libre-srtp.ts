import { endianness } from 'node:os';
import koffi, { type LibraryHandle } from 'koffi';
import type {
  LoadedSrtpLibrary,
  SrtpDropReason,
  SrtpLibrary,
  SrtpSession,
} from './srtp-library.js';
import { inlineKeyBytes, type SrtpKeying, type SrtpSuiteName } from './srtp-suites.js';
import { loadNativeSrtp } from './load-native-library.js';

export const LIBRE_SONAME = 'libre.so.0';
export const LIBRE_APT_PACKAGE = 'libre0';

/** libre's `enum srtp_suite` (re_srtp.h). */
const LIBRE_SUITES: Record<SrtpSuiteName, number> = {
  AES_CM_128_HMAC_SHA1_32: 0,
  AES_CM_128_HMAC_SHA1_80: 1,
  AEAD_AES_128_GCM: 4,
  AEAD_AES_256_GCM: 5,
};

/** Linux errno values libre returns; EAUTH is libre's own (re_types.h). */
const ETIMEDOUT = 110;
const EALREADY = 114;
const EAUTH = 217;

/** `struct mbuf { uint8_t *buf; size_t size; size_t pos; size_t end; }` on a 64-bit target. */
const MBUF_WORDS_U32 = 8;
const POS_LOW = 4;
const POS_HIGH = 5;
const END_LOW = 6;
const END_HIGH = 7;
const SCRATCH_OFFSET_BYTES = 64;
const SCRATCH_BYTES = 4096;
/**
 * libre appends at most a 16-byte GCM tag, or the ROC and an HMAC tag, behind the packet; with
 * this much room it never has to grow the mbuf, which would realloc memory libre does not own.
 */
const TRAILER_ROOM_BYTES = 64;
export const LIBRE_MAX_PACKET_BYTES = SCRATCH_BYTES - TRAILER_ROOM_BYTES;
const RTP_HEADER_BYTES = 12;
/**
 * SSRCs one inbound session keeps a crypto context for; beyond that the least recently used
 * one is dropped (an SRC changes SSRC on a transfer, it does not send eight at once).
 */
const MAX_SSRCS = 8;
/** libre's own stream table per `struct srtp` (src/srtp/stream.c). */
const LIBRE_STREAMS_PER_SRTP = 8;
const HALF_SEQ = 32768;

interface Native {
  alloc(out: unknown[], suite: number, key: Buffer, keyBytes: number, flags: number): number;
  encrypt(srtp: unknown, mbuf: unknown): number;
  decrypt(srtp: unknown, mbuf: unknown): number;
  deref(pointer: unknown): unknown;
}

/**
 * Debian's libre (baresip's libre 1.1.0, built on OpenSSL 3) through koffi: callscribe only
 * hands it keys and packets, the cryptography is libre's. Same RFC 3711 wire format as libsrtp,
 * at a fraction of the cost per packet. Nothing here starts libre's main loop: `srtp_alloc`
 * needs no `libre_init`. Loadable in any thread and more than once per process.
 */
export function loadLibreSrtp(): LoadedSrtpLibrary {
  return loadNativeSrtp(LIBRE_SONAME, bind);
}

function bind(lib: LibraryHandle): SrtpLibrary {
  // The mbuf is written through 32-bit words: that needs 64-bit little-endian size_t.
  if (koffi.sizeof('size_t') !== 8 || endianness() !== 'LE')
    throw new Error('libre-srtp needs a 64-bit little-endian platform');
  const native: Native = {
    alloc: lib.func('srtp_alloc', 'int', [
      koffi.out(koffi.pointer('void *')),
      'int',
      'uint8_t *',
      'size_t',
      'int',
    ]) as Native['alloc'],
    encrypt: lib.func('srtp_encrypt', 'int', ['void *', 'void *']) as Native['encrypt'],
    decrypt: lib.func('srtp_decrypt', 'int', ['void *', 'void *']) as Native['decrypt'],
    deref: lib.func('mem_deref', 'void *', ['void *']) as Native['deref'],
  };
  // A probe at load, so a broken library is reported at start rather than on the first call.
  const probe = new LibreKey(native, {
    suite: 'AES_CM_128_HMAC_SHA1_80',
    keyAndSalt: new Uint8Array(30),
  });
  probe.deref(probe.context());
  probe.wipe();
  return {
    inbound: (keying) => new LibreInbound(native, keying),
    outbound: (keying) => new LibreOutbound(native, keying),
  };
}

function dropReason(status: number): SrtpDropReason {
  if (status === EAUTH) return 'srtp-auth-failed';
  // ETIMEDOUT: more than half the sequence space behind the newest packet, i.e. from before a
  // rollover (libsrtp calls that replay_old), or as far ahead, which no sender does.
  if (status === EALREADY || status === ETIMEDOUT) return 'srtp-replayed';
  return 'srtp-invalid';
}

/**
 * The keying, kept for the session's lifetime (an inbound session allocates a fresh libre
 * context per SSRC from it) and wiped on close.
 */
class LibreKey {
  readonly #native: Native;
  readonly #suite: number;
  readonly #key: Buffer;

  constructor(native: Native, keying: SrtpKeying) {
    const suite = LIBRE_SUITES[keying.suite];
    if (suite === undefined) throw new Error(`unknown SRTP suite ${String(keying.suite)}`);
    const bytes = inlineKeyBytes(keying.suite);
    if (keying.keyAndSalt.length !== bytes)
      throw new Error(`${keying.suite} needs a ${bytes}-byte key`);
    this.#native = native;
    this.#suite = suite;
    this.#key = Buffer.alloc(bytes);
    this.#key.set(keying.keyAndSalt);
  }

  /** A fresh `struct srtp`: libre derives the session keys, it keeps no copy of the master key. */
  context(): unknown {
    const out: unknown[] = [null];
    const status = this.#native.alloc(out, this.#suite, this.#key, this.#key.length, 0);
    const srtp = out[0];
    if (status !== 0 || srtp === null || srtp === undefined)
      throw new Error(`libre srtp_alloc failed with status ${status}`);
    return srtp;
  }

  deref(srtp: unknown): void {
    this.#native.deref(srtp);
  }

  wipe(): void {
    this.#key.fill(0);
  }
}

/**
 * Native memory for one session, allocated once: an mbuf whose `buf` and `size` are set here
 * and never change, and the packet scratch it points to. Per packet only `pos`/`end` are set.
 */
class Scratch {
  readonly #block: unknown;
  readonly #words: Uint32Array;
  readonly #bytes: Uint8Array;
  #view: Uint8Array;
  #viewLength = 0;

  constructor() {
    const total = SCRATCH_OFFSET_BYTES + SCRATCH_BYTES;
    this.#block = koffi.alloc('uint8_t', total);
    const memory = koffi.view(this.#block, total);
    const header = new DataView(memory, 0, SCRATCH_OFFSET_BYTES);
    header.setBigUint64(0, koffi.address(this.#block) + BigInt(SCRATCH_OFFSET_BYTES), true);
    header.setBigUint64(8, BigInt(SCRATCH_BYTES), true);
    this.#words = new Uint32Array(memory, 0, MBUF_WORDS_U32);
    this.#bytes = new Uint8Array(memory, SCRATCH_OFFSET_BYTES, SCRATCH_BYTES);
    this.#view = this.#bytes.subarray(0, 0);
  }

  get mbuf(): unknown {
    return this.#block;
  }

  get bytes(): Uint8Array {
    return this.#bytes;
  }

  load(packet: Uint8Array, length: number): void {
    this.#bytes.set(length === packet.length ? packet : packet.subarray(0, length));
    this.setRange(length);
  }

  setRange(length: number): void {
    this.#words[POS_LOW] = 0;
    this.#words[POS_HIGH] = 0;
    this.#words[END_LOW] = length;
    this.#words[END_HIGH] = 0;
  }

  /** `end` after the call: the packet's new length. */
  get end(): number {
    return this.#words[END_HIGH] === 0 ? (this.#words[END_LOW] ?? 0) : -1;
  }

  /** Copies the result back; the view is reused while the length stays the same (it usually does). */
  store(packet: Uint8Array, length: number): void {
    if (length !== this.#viewLength) {
      this.#view = this.#bytes.subarray(0, length);
      this.#viewLength = length;
    }
    packet.set(this.#view);
  }

  free(): void {
    this.#bytes.fill(0);
    koffi.free(this.#block);
  }
}

class LibreOutbound implements SrtpSession {
  readonly #native: Native;
  #srtp: unknown;
  #scratch: Scratch | null;

  constructor(native: Native, keying: SrtpKeying) {
    const key = new LibreKey(native, keying);
    this.#native = native;
    this.#srtp = key.context();
    key.wipe();
    this.#scratch = new Scratch();
  }

  process(packet: Uint8Array, length: number): number | SrtpDropReason {
    const scratch = this.#scratch;
    if (scratch === null || length < RTP_HEADER_BYTES || length > LIBRE_MAX_PACKET_BYTES)
      return 'srtp-invalid';
    scratch.load(packet, length);
    const status = this.#native.encrypt(this.#srtp, scratch.mbuf);
    if (status !== 0) return dropReason(status);
    const out = scratch.end;
    if (out < 0 || out > packet.length) return 'srtp-invalid';
    scratch.store(packet, out);
    return out;
  }

  close(): void {
    if (this.#scratch === null) return;
    this.#native.deref(this.#srtp);
    this.#srtp = null;
    this.#scratch.free();
    this.#scratch = null;
  }
}

/** libre's per-SSRC state, mirrored: ROC and highest sequence number (s_l). */
interface SsrcContext {
  ssrc: number;
  srtp: unknown;
  roc: number;
  highestSeq: number;
  lastUsed: number;
}

/**
 * The receive side. libre is used with one `struct srtp` per SSRC, each created by a packet
 * that authenticated, because libre changes a stream's state before it authenticates: a new
 * SSRC takes one of 8 table slots, and a packet half the sequence space behind bumps the ROC.
 * Forged packets could otherwise fill the table (refusing the SRC's next SSRC) or desynchronise
 * the ROC (refusing the SRC for up to 32768 packets). Unknown SSRCs are tried on a spare
 * context; a failed rollover packet gets the context rebuilt at the mirrored ROC.
 */
class LibreInbound implements SrtpSession {
  readonly #native: Native;
  readonly #key: LibreKey;
  #scratch: Scratch | null;
  readonly #contexts: SsrcContext[] = [];
  #last: SsrcContext | null = null;
  #spare: unknown = null;
  /** SSRCs the spare context has seen: it is only clean for the others. */
  readonly #spareSeen: number[] = [];
  #clock = 0;

  constructor(native: Native, keying: SrtpKeying) {
    this.#native = native;
    this.#key = new LibreKey(native, keying);
    this.#spare = this.#key.context();
    this.#scratch = new Scratch();
  }

  process(packet: Uint8Array, length: number): number | SrtpDropReason {
    const scratch = this.#scratch;
    if (scratch === null || length < RTP_HEADER_BYTES || length > LIBRE_MAX_PACKET_BYTES)
      return 'srtp-invalid';
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
    const context = this.#find(ssrc);
    scratch.load(packet, length);
    if (context === null) return this.#trySpare(packet, scratch, ssrc, seq);
    context.lastUsed = ++this.#clock;
    const wraps = seq - context.highestSeq <= -HALF_SEQ;
    const status = this.#native.decrypt(context.srtp, scratch.mbuf);
    if (status !== 0) {
      // libre counted the rollover before the packet failed: put the context back.
      if (wraps) this.#rebuild(context);
      return dropReason(status);
    }
    if (wraps) {
      context.roc++;
      context.highestSeq = 0;
    }
    if (seq > context.highestSeq) context.highestSeq = seq;
    return this.#deliver(packet, scratch);
  }

  close(): void {
    const scratch = this.#scratch;
    if (scratch === null) return;
    for (const context of this.#contexts.splice(0)) this.#key.deref(context.srtp);
    this.#last = null;
    if (this.#spare !== null) this.#key.deref(this.#spare);
    this.#spare = null;
    this.#key.wipe();
    scratch.free();
    this.#scratch = null;
  }

  #find(ssrc: number): SsrcContext | null {
    const last = this.#last;
    if (last !== null && last.ssrc === ssrc) return last;
    for (const context of this.#contexts) {
      if (context.ssrc === ssrc) {
        this.#last = context;
        return context;
      }
    }
    return null;
  }

  #deliver(packet: Uint8Array, scratch: Scratch): number | SrtpDropReason {
    const out = scratch.end;
    if (out < 0 || out > packet.length) return 'srtp-invalid';
    scratch.store(packet, out);
    return out;
  }

  /** A packet of an SSRC without a context: it gets one only if it authenticates. */
  #trySpare(
    packet: Uint8Array,
    scratch: Scratch,
    ssrc: number,
    seq: number,
  ): number | SrtpDropReason {
    if (
      this.#spare !== null &&
      (this.#spareSeen.includes(ssrc) || this.#spareSeen.length >= LIBRE_STREAMS_PER_SRTP)
    ) {
      this.#key.deref(this.#spare);
      this.#spare = null;
    }
    if (this.#spare === null) {
      this.#spare = this.#key.context();
      this.#spareSeen.length = 0;
    }
    const status = this.#native.decrypt(this.#spare, scratch.mbuf);
    if (status !== 0) {
      this.#spareSeen.push(ssrc);
      return dropReason(status);
    }
    this.#adopt({ ssrc, srtp: this.#spare, roc: 0, highestSeq: seq, lastUsed: ++this.#clock });
    this.#spare = null;
    this.#spareSeen.length = 0;
    return this.#deliver(packet, scratch);
  }

  #adopt(context: SsrcContext): void {
    if (this.#contexts.length >= MAX_SSRCS) {
      let oldest = 0;
      for (let i = 1; i < this.#contexts.length; i++)
        if (this.#contexts[i]!.lastUsed < this.#contexts[oldest]!.lastUsed) oldest = i;
      const [evicted] = this.#contexts.splice(oldest, 1);
      if (evicted !== undefined) this.#key.deref(evicted.srtp);
    }
    this.#contexts.push(context);
    this.#last = context;
  }

  /**
   * A fresh context brought to the mirrored ROC and highest sequence number with packets this
   * session protects itself (libre has no call to set a ROC). Its replay window then only
   * knows the newest packet.
   */
  #rebuild(context: SsrcContext): void {
    const scratch = this.#scratch!;
    const steps = [0];
    for (let i = 0; i < context.roc; i++) steps.push(HALF_SEQ, 0);
    if (context.highestSeq > HALF_SEQ) steps.push(HALF_SEQ);
    if (steps[steps.length - 1] !== context.highestSeq) steps.push(context.highestSeq);
    const sender = this.#key.context();
    const receiver = this.#key.context();
    let ok = true;
    for (const seq of steps) {
      const bytes = scratch.bytes;
      bytes.fill(0, 0, RTP_HEADER_BYTES + 4);
      bytes[0] = 0x80;
      bytes[2] = seq >> 8;
      bytes[3] = seq & 0xff;
      bytes[8] = context.ssrc >>> 24;
      bytes[9] = (context.ssrc >>> 16) & 0xff;
      bytes[10] = (context.ssrc >>> 8) & 0xff;
      bytes[11] = context.ssrc & 0xff;
      scratch.setRange(RTP_HEADER_BYTES + 4);
      ok =
        this.#native.encrypt(sender, scratch.mbuf) === 0 &&
        this.#native.decrypt(receiver, scratch.mbuf) === 0;
      if (!ok) break;
    }
    this.#key.deref(sender);
    this.#key.deref(context.srtp);
    context.srtp = receiver;
    // Not expected; without a context the SSRC starts over through the spare, as a new one.
    if (!ok) this.#drop(context);
  }

  #drop(context: SsrcContext): void {
    const i = this.#contexts.indexOf(context);
    if (i >= 0) this.#contexts.splice(i, 1);
    if (this.#last === context) this.#last = null;
    this.#key.deref(context.srtp);
  }
}
