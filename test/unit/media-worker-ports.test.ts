import { describe, expect, it } from 'vitest';
import { splitPortRange } from '../../src/adapters/media-workers/worker-media-sessions.js';

describe('media workers share the RTP port range', () => {
  it('gives each worker a contiguous even-aligned share, together the whole range', () => {
    const shares = splitPortRange({ min: 40000, max: 40999 }, 2);
    expect(shares).toEqual([
      { min: 40000, max: 40499 },
      { min: 40500, max: 40999 },
    ]);
    const odd = splitPortRange({ min: 40001, max: 40020 }, 3);
    expect(odd.map((s) => s.min % 2)).toEqual([0, 0, 0]);
    expect(odd[0]!.min).toBe(40002);
    expect(odd.at(-1)!.max).toBe(40019);
    for (let i = 1; i < odd.length; i++) expect(odd[i]!.min).toBe(odd[i - 1]!.max + 1);
  });

  it('starts fewer workers than asked when the range has fewer port pairs', () => {
    expect(splitPortRange({ min: 50000, max: 50003 }, 4)).toEqual([
      { min: 50000, max: 50001 },
      { min: 50002, max: 50003 },
    ]);
  });
});
