import { describe, expect, it } from 'vitest';
import { ULAW_TO_PCM16 } from '../../src/adapters/rtp/g711.js';
import { PreRollRing } from '../../src/adapters/rtp/pre-roll-ring.js';

function codes(from: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (from + i) % 256);
}

describe('PreRollRing', () => {
  it('keeps only the newest samples, oldest first, and drains once', () => {
    const ring = new PreRollRing(400);
    for (let p = 0; p < 5; p++) ring.writeG711(ULAW_TO_PCM16, codes(p * 160, 160), 0, 160);
    expect(ring.length).toBe(400);
    const out = ring.drain();
    expect(out.length).toBe(400);
    const expected = Int16Array.from(codes(800 - 400, 400), (c) => ULAW_TO_PCM16[c]!);
    expect([...out]).toEqual([...expected]);
    expect(ring.length).toBe(0);
    expect(ring.drain().length).toBe(0);
  });

  it('returns everything when not yet full', () => {
    const ring = new PreRollRing(1000);
    ring.writeG711(ULAW_TO_PCM16, codes(10, 160), 0, 160);
    expect([...ring.drain()]).toEqual([
      ...Int16Array.from(codes(10, 160), (c) => ULAW_TO_PCM16[c]!),
    ]);
  });

  it('stays bounded when one payload is larger than the ring', () => {
    const ring = new PreRollRing(100);
    ring.writeG711(ULAW_TO_PCM16, codes(0, 50), 0, 50);
    ring.writeG711(ULAW_TO_PCM16, codes(50, 300), 0, 300);
    const out = ring.drain();
    expect(out.length).toBe(100);
    expect([...out]).toEqual([...Int16Array.from(codes(250, 100), (c) => ULAW_TO_PCM16[c]!)]);
  });
});
