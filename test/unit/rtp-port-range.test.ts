import { describe, expect, it } from 'vitest';
import { reserveRtpPortRange } from '../support/rtp-port-range.js';

describe('reserveRtpPortRange (test support)', () => {
  it('hands out ranges that never overlap while held, below the ephemeral ports', () => {
    const ranges = Array.from({ length: 12 }, (_, i) => reserveRtpPortRange(20 + i * 30));
    try {
      for (const r of ranges) {
        expect(r.max - r.min + 1).toBeGreaterThanOrEqual(20);
        expect(r.max).toBeLessThan(32_768);
      }
      const sorted = [...ranges].sort((a, b) => a.min - b.min);
      for (let i = 1; i < sorted.length; i++)
        expect(sorted[i]!.min).toBeGreaterThan(sorted[i - 1]!.max);
    } finally {
      for (const r of ranges) r.release();
    }
  });
});
