import { describe, expect, it } from 'vitest';
import { StereoInterleaver } from '../../src/adapters/recording/stereo-interleaver.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

function takeAll(interleaver: StereoInterleaver): number[] {
  const samples = interleaver.ready;
  const out = new Int16Array(2 * samples);
  interleaver.take(samples, out, 0);
  return [...out];
}

describe('StereoInterleaver', () => {
  it('pairs the two sides sample by sample, across ring wrap-arounds and growth', () => {
    const interleaver = new StereoInterleaver(100_000);
    const left: number[] = [];
    const right: number[] = [];
    const got: number[] = [];
    // Uneven frame sizes and one side running far ahead force the rings to wrap and to grow.
    for (let k = 0; k < 300; k++) {
      const l = ramp(k * 1000, 160);
      left.push(...l);
      interleaver.push('CALLER', l);
      if (k % 3 === 2) {
        const r = ramp(-k * 100, 480 + (k % 7));
        right.push(...r);
        interleaver.push('AGENT', r);
      }
      got.push(...takeAll(interleaver));
    }
    const pairs = got.length / 2;
    expect(pairs).toBe(Math.min(left.length, right.length));
    for (let i = 0; i < pairs; i++) {
      expect([got[2 * i], got[2 * i + 1]]).toEqual([left[i], right[i]]);
    }
  });

  it('pads the quiet side with silence beyond the skew, and both to the end', () => {
    const interleaver = new StereoInterleaver(320);
    interleaver.push('AGENT', ramp(1, 160));
    for (let k = 0; k < 4; k++) interleaver.push('CALLER', ramp(1000 * (k + 1), 160));
    // 640 caller samples against 160 agent ones: the agent is padded up to 320 behind.
    expect(interleaver.ready).toBe(320);
    const first = takeAll(interleaver);
    expect(first.filter((_, i) => i % 2 === 1)).toEqual([
      ...ramp(1, 160),
      ...new Array(160).fill(0),
    ]);
    interleaver.padToEnd();
    expect(interleaver.ready).toBe(320);
    const rest = takeAll(interleaver);
    expect(rest.filter((_, i) => i % 2 === 0)).toEqual([...ramp(3000, 160), ...ramp(4000, 160)]);
    expect(rest.filter((_, i) => i % 2 === 1)).toEqual(new Array(320).fill(0));
  });

  it('writes the same pairs at any offset, aligned to 32 bits or not, with full-range samples', () => {
    const extremes = Int16Array.from([-32768, 32767, -1, 0, 1, -12345, 23456, -2]);
    const pairsAt = (offset: number): number[] => {
      const interleaver = new StereoInterleaver(1000);
      interleaver.push('CALLER', extremes);
      interleaver.push('AGENT', extremes.slice().reverse());
      const out = new Int16Array(2 * extremes.length + offset);
      interleaver.take(extremes.length, out, offset);
      return [...out.subarray(offset)];
    };
    const expected = [...extremes].flatMap((left, i) => [left, extremes[extremes.length - 1 - i]]);
    expect(pairsAt(0)).toEqual(expected);
    expect(pairsAt(1)).toEqual(expected);
    expect(pairsAt(2)).toEqual(expected);
  });
});
