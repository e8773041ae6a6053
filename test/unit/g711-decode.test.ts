import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALAW_TO_PCM16, ULAW_TO_PCM16, decodeG711 } from '../../src/media/g711.js';
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
