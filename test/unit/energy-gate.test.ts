import { describe, expect, it } from 'vitest';
import { EnergyGate, frameDbfs } from '../../src/adapters/speech/audio/energy-gate.js';

function naiveDbfs(frame: Int16Array): number {
  if (frame.length === 0) return -100;
  let sum = 0;
  for (const s of frame) sum += s * s;
  const rms = Math.sqrt(sum / frame.length);
  return rms < 1 ? -100 : 20 * Math.log10(rms / 32768);
}

describe('frameDbfs', () => {
  it('is the RMS level of any length of frame, full scale included', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (const length of [0, 1, 2, 3, 4, 5, 159, 160, 161, 320]) {
      const frame = Int16Array.from({ length }, () => (next() % 65536) - 32768);
      expect(frameDbfs(frame)).toBe(naiveDbfs(frame));
    }
    expect(frameDbfs(new Int16Array(160).fill(-32768))).toBe(0);
    expect(frameDbfs(new Int16Array(160))).toBe(-100);
  });

  it('lets speech through over line noise and not the noise itself', () => {
    const gate = new EnergyGate();
    const noise = Int16Array.from({ length: 160 }, (_, i) => (i % 2 === 0 ? 20 : -20));
    const speech = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
    for (let i = 0; i < 50; i++) expect(gate.isVoiced(noise)).toBe(false);
    expect(gate.isVoiced(speech)).toBe(true);
  });
});
