import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import type { SrtpLibrary, SrtpSession } from '../../src/adapters/srtp/srtp-library.js';
import {
  inlineKeyBytes,
  SRTP_SUITE_NAMES,
  type SrtpKeying,
  type SrtpSuiteName,
} from '../../src/adapters/srtp/srtp-suites.js';
import { randomKeying } from '../support/srtp-protector.js';

export interface SrtpLibraryCase {
  name: string;
  library: SrtpLibrary | null;
}

/** Bytes SRTP adds to an RTP packet per suite (RFC 3711 §4.2, RFC 7714 §7.2). */
const TRAILER_BYTES: Record<SrtpSuiteName, number> = {
  AES_CM_128_HMAC_SHA1_80: 10,
  AES_CM_128_HMAC_SHA1_32: 4,
  AEAD_AES_128_GCM: 16,
  AEAD_AES_256_GCM: 16,
};

function rtp(seq: number, ssrc = 0x11223344, fill = seq): Buffer {
  return buildRtpPacket({
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: (seq * 160) >>> 0,
    ssrc,
    payload: Buffer.alloc(160, fill & 0xff),
  });
}

function protect(session: SrtpSession, plain: Buffer): Buffer {
  const out = Buffer.alloc(plain.length + 64);
  plain.copy(out);
  const length = session.process(out, plain.length);
  if (typeof length !== 'number') throw new Error(`protect refused: ${length}`);
  return out.subarray(0, length);
}

function unprotect(session: SrtpSession, packet: Buffer): Buffer | string {
  const copy = Buffer.from(packet);
  const result = session.process(copy, copy.length);
  return typeof result === 'number' ? copy.subarray(0, result) : result;
}

/**
 * What callscribe needs of any SRTP library behind the `SrtpLibrary` port: RFC 3711 wire
 * format (checked against a second, independent library in both directions), the rollover
 * counter, replay and authentication refusals with the right drop reasons, garbage refused
 * without a crash, and forged packets unable to disturb a genuine stream.
 */
export function describeSrtpLibraryContract(
  subject: SrtpLibraryCase,
  reference: SrtpLibraryCase,
): void {
  const ready = subject.library !== null && reference.library !== null;
  describe.skipIf(!ready)(`SrtpLibrary contract: ${subject.name}`, () => {
    const lib = (): SrtpLibrary => subject.library!;
    const ref = (): SrtpLibrary => reference.library!;

    /** `count` packets from `firstSeq`, protected by `tx`, all unprotected by `rx` intact. */
    function expectStream(
      tx: SrtpLibrary,
      rx: SrtpLibrary,
      keying: SrtpKeying,
      firstSeq: number,
      count: number,
    ): void {
      const sender = tx.outbound(keying);
      const receiver = rx.inbound(keying);
      try {
        for (let i = 0; i < count; i++) {
          const plain = rtp(firstSeq + i);
          const wire = protect(sender, plain);
          expect(wire.length).toBe(plain.length + TRAILER_BYTES[keying.suite]);
          expect(wire.subarray(12, 172).equals(plain.subarray(12))).toBe(false);
          const clear = unprotect(receiver, wire);
          if (typeof clear === 'string' || !clear.equals(plain))
            throw new Error(`packet ${i} (seq ${(firstSeq + i) & 0xffff}): ${String(clear)}`);
        }
      } finally {
        sender.close();
        receiver.close();
      }
    }

    for (const suite of SRTP_SUITE_NAMES) {
      describe(suite, () => {
        it('round trip: outbound then inbound gives the plain packet back', () => {
          expectStream(lib(), lib(), randomKeying(suite), 1000, 50);
        });

        it(`interop: ${reference.name} protects, ${subject.name} unprotects`, () => {
          expectStream(ref(), lib(), randomKeying(suite), 5000, 100);
        });

        it(`interop: ${subject.name} protects, ${reference.name} unprotects`, () => {
          expectStream(lib(), ref(), randomKeying(suite), 5000, 100);
        });

        it('follows the rollover counter across the sequence wrap, both directions', () => {
          expectStream(ref(), lib(), randomKeying(suite), 64_500, 2_500);
          expectStream(lib(), ref(), randomKeying(suite), 64_500, 2_500);
        });

        it('refuses a replayed packet, and one from before the rollover, as srtp-replayed', () => {
          const keying = randomKeying(suite);
          const sender = ref().outbound(keying);
          const receiver = lib().inbound(keying);
          const packets = Array.from({ length: 1100 }, (_, i) => protect(sender, rtp(65_000 + i)));
          for (const p of packets.slice(0, 20))
            expect(unprotect(receiver, p)).toBeInstanceOf(Buffer);
          expect(unprotect(receiver, packets[15]!)).toBe('srtp-replayed');
          for (const p of packets.slice(20)) expect(unprotect(receiver, p)).toBeInstanceOf(Buffer);
          expect(unprotect(receiver, packets[10]!)).toBe('srtp-replayed');
          sender.close();
          receiver.close();
        });

        it('refuses a tampered payload, a tampered tag, plain RTP and a wrong key as srtp-auth-failed', () => {
          const keying = randomKeying(suite);
          const sender = ref().outbound(keying);
          const receiver = lib().inbound(keying);
          const payload = protect(sender, rtp(10));
          payload[40] = payload[40]! ^ 0x01;
          expect(unprotect(receiver, payload)).toBe('srtp-auth-failed');
          const tag = protect(sender, rtp(11));
          tag[tag.length - 1] = tag[tag.length - 1]! ^ 0x80;
          expect(unprotect(receiver, tag)).toBe('srtp-auth-failed');
          expect(unprotect(receiver, rtp(12))).toBe('srtp-auth-failed');
          const intruder = ref().outbound(randomKeying(suite));
          expect(unprotect(receiver, protect(intruder, rtp(13)))).toBe('srtp-auth-failed');
          // None of this disturbed the stream.
          expect(unprotect(receiver, protect(sender, rtp(14)))).toEqual(rtp(14));
          for (const s of [sender, receiver, intruder]) s.close();
        });

        it('refuses a key of the wrong length by throwing', () => {
          const bytes = inlineKeyBytes(suite);
          for (const length of [0, bytes - 1, bytes + 1]) {
            const keying = { suite, keyAndSalt: new Uint8Array(length) };
            expect(() => lib().inbound(keying)).toThrow();
            expect(() => lib().outbound(keying)).toThrow();
          }
        });
      });
    }

    it('refuses garbage without crashing: short, random, CSRC count or extension past the end', () => {
      const keying = randomKeying('AES_CM_128_HMAC_SHA1_80');
      const receiver = lib().inbound(keying);
      const sender = ref().outbound(keying);
      const garbage: Buffer[] = [];
      for (let n = 0; n < 12; n++) garbage.push(randomBytes(n));
      for (let i = 0; i < 500; i++) garbage.push(randomBytes(12 + (i % 300)));
      // CC = 15 in a 20-byte packet; extension of 0xffff words in a 24-byte one.
      garbage.push(Buffer.from([0x8f, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]));
      garbage.push(
        Buffer.from([0x90, 0, 0, 2, 0, 0, 0, 0, 1, 2, 3, 4, 0xbe, 0xde, 0xff, 0xff, ...Array(8)]),
      );
      // Version 2 with our SSRC but a body too short for any tag.
      garbage.push(Buffer.from([0x80, 0, 0, 3, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1]));
      for (const packet of garbage) expect(typeof unprotect(receiver, packet)).toBe('string');
      expect(unprotect(receiver, protect(sender, rtp(4)))).toEqual(rtp(4));
      receiver.close();
      sender.close();
    });

    it('accepts several SSRCs under one key (RFC 3711 key sharing across a sender\u2019s SSRCs)', () => {
      const keying = randomKeying('AEAD_AES_128_GCM');
      const sender = ref().outbound(keying);
      const receiver = lib().inbound(keying);
      for (let i = 0; i < 30; i++) {
        const ssrc = 0x1000 + (i % 3);
        expect(unprotect(receiver, protect(sender, rtp(100 + i, ssrc)))).toEqual(
          rtp(100 + i, ssrc),
        );
      }
      sender.close();
      receiver.close();
    });

    it('forged packets with many SSRCs do not stop a new genuine SSRC', () => {
      const keying = randomKeying('AES_CM_128_HMAC_SHA1_80');
      const sender = ref().outbound(keying);
      const receiver = lib().inbound(keying);
      expect(unprotect(receiver, protect(sender, rtp(1, 0xaaaa)))).toEqual(rtp(1, 0xaaaa));
      for (let i = 0; i < 40; i++) {
        const forged = rtp(500 + i, 0x7000 + i);
        expect(unprotect(receiver, Buffer.concat([forged, randomBytes(10)]))).toBe(
          'srtp-auth-failed',
        );
      }
      // The SRC moves to a new SSRC (a transfer): it must still be heard.
      expect(unprotect(receiver, protect(sender, rtp(2, 0xbbbb)))).toEqual(rtp(2, 0xbbbb));
      expect(unprotect(receiver, protect(sender, rtp(2, 0xaaaa)))).toEqual(rtp(2, 0xaaaa));
      sender.close();
      receiver.close();
    });

    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_256_GCM'] as const) {
      it(`${suite}: a forged packet with the stream's SSRC, half the sequence space away, does not disturb the rollover counter`, () => {
        const keying = randomKeying(suite);
        const sender = ref().outbound(keying);
        const receiver = lib().inbound(keying);
        const ssrc = 0x11223344;
        let seq = 40_000;
        const genuine = (): void => {
          const plain = rtp(seq++, ssrc);
          expect(unprotect(receiver, protect(sender, plain))).toEqual(plain);
        };
        for (let i = 0; i < 10; i++) genuine();
        for (const forgedSeq of [1000, 7000, 2000, 40_005, 65_000]) {
          const forged = Buffer.concat([rtp(forgedSeq, ssrc), randomBytes(16)]);
          expect(unprotect(receiver, forged)).not.toBeTypeOf('number');
          genuine();
        }
        // Past the wrap and beyond: the rollover counter is still right.
        seq = 65_530;
        for (let i = 0; i < 40; i++) genuine();
        const forged = Buffer.concat([rtp(40_000, ssrc), randomBytes(16)]);
        expect(typeof unprotect(receiver, forged)).toBe('string');
        for (let i = 0; i < 10; i++) genuine();
        sender.close();
        receiver.close();
      });
    }

    it('close is idempotent, and a closed session refuses every packet', () => {
      const keying = randomKeying('AES_CM_128_HMAC_SHA1_32');
      const sender = lib().outbound(keying);
      const receiver = lib().inbound(keying);
      const wire = protect(sender, rtp(9));
      sender.close();
      sender.close();
      receiver.close();
      receiver.close();
      expect(unprotect(receiver, wire)).toBe('srtp-invalid');
      const room = Buffer.alloc(300);
      rtp(10).copy(room);
      expect(sender.process(room, 172)).toBe('srtp-invalid');
    });
  });
}
