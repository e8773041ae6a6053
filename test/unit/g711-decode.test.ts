import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALAW_TO_PCM16, ULAW_TO_PCM16, decodeG711, decodeG711Into } from '../../src/media/g711.js';
import { pcmaDecoderFactory, pcmuDecoderFactory } from '../../src/media/g711-decoder.js';
import { commandWorks, requireTool } from '../support/tools.js';

const sox = requireTool('sox', () => commandWorks('sox', ['--version']));
const callerPcmu = new URL('../../samples/support-call/caller.pcmu', import.meta.url);

function soxDecode(type: 'ul' | 'al', input: Buffer): Int16Array {
  const out = execFileSync(
    'sox',
    ['-t', type, '-r', '8000', '-c', '1', '-', '-t', 's16', '-e', 'signed', '-L', '-'],
    {
      input,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const copy = new Uint8Array(out);
  return new Int16Array(copy.buffer, 0, copy.length / 2);
}

describe('g711 tables', () => {
  it('have the well-known anchor values', () => {
    expect(ULAW_TO_PCM16[0x00]).toBe(-32124);
    expect(ULAW_TO_PCM16[0x80]).toBe(32124);
    expect(ULAW_TO_PCM16[0xff]).toBe(0);
    expect(ALAW_TO_PCM16[0xd5]).toBe(8);
    expect(ALAW_TO_PCM16[0x55]).toBe(-8);
  });
});

describe('g711 decodes two codes at a time where memory allows, with the same samples', () => {
  // Every ordered pair of codes, once: 128 KiB.
  const everyPair = new Uint8Array(2 * 65536);
  for (let i = 0; i < 65536; i++) {
    everyPair[2 * i] = i & 0xff;
    everyPair[2 * i + 1] = i >> 8;
  }
  const byByte = (table: Readonly<Int16Array>, codes: Uint8Array) =>
    Int16Array.from(codes, (c) => table[c]!);

  for (const [law, table] of [
    ['µ-law', ULAW_TO_PCM16],
    ['A-law', ALAW_TO_PCM16],
  ] as const) {
    it(`${law}: every pair of codes`, () => {
      const out = new Int16Array(everyPair.length);
      decodeG711Into(table, everyPair, 0, everyPair.length, out, 0);
      expect(Buffer.from(out.buffer).equals(Buffer.from(byByte(table, everyPair).buffer))).toBe(
        true,
      );
    });

    it(`${law}: odd offsets and lengths`, () => {
      const codes = everyPair.subarray(1000, 1000 + 171);
      for (const srcOffset of [0, 1, 2, 3]) {
        for (const dstOffset of [0, 1, 2]) {
          for (const length of [0, 1, 15, 16, 17, 160, 161, 168]) {
            const src = new Uint8Array(200);
            src.set(codes.subarray(0, length), srcOffset);
            const dst = new Int16Array(200).fill(7);
            decodeG711Into(table, src, srcOffset, length, dst, dstOffset);
            expect([...dst.subarray(dstOffset, dstOffset + length)]).toEqual([
              ...byByte(table, codes.subarray(0, length)),
            ]);
            expect(dst[dstOffset + length]).toBe(7);
          }
        }
      }
    });
  }
});

describe.skipIf(!sox.available)('g711 decode is bit-exact with sox', () => {
  const allCodes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  it('µ-law: every code', () => {
    expect([...decodeG711('PCMU', allCodes)]).toEqual([...soxDecode('ul', allCodes)]);
  });

  it('A-law: every code', () => {
    expect([...decodeG711('PCMA', allCodes)]).toEqual([...soxDecode('al', allCodes)]);
  });

  it('µ-law: samples/support-call/caller.pcmu', () => {
    const file = readFileSync(callerPcmu);
    const mine = decodeG711('PCMU', file);
    const reference = soxDecode('ul', file);
    expect(mine.length).toBe(reference.length);
    expect(Buffer.from(mine.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });
});

describe('the G.711 decoders write pairs into their slab with the same samples', () => {
  for (const [factory, table] of [
    [pcmuDecoderFactory, ULAW_TO_PCM16],
    [pcmaDecoderFactory, ALAW_TO_PCM16],
  ] as const) {
    it(`${factory.codec.name}: packets of even and odd lengths, past the slab's wrap`, () => {
      const decoder = factory.create();
      let code = 0;
      for (let k = 0; k < 60; k++) {
        const length = [160, 161, 80, 7, 240][k % 5]!;
        // A payload at an odd offset of its buffer, as inside an RTP datagram.
        const packet = new Uint8Array(length + 13);
        for (let i = 0; i < length; i++) packet[13 + i] = code++ & 0xff;
        const payload = packet.subarray(13);
        const expected = [...Int16Array.from(payload, (c) => table[c]!)];
        // Read in place in the datagram, as the receiver hands it over, and as a view of its own.
        expect([...decoder.decode(packet, 13, length)]).toEqual(expected);
        expect([...decoder.decode(payload, 0, length)]).toEqual(expected);
      }
    });
  }
});
