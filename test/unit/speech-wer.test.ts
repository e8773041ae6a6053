import { describe, expect, it } from 'vitest';
import { normalizeWords, wordErrorRate } from '../support/wer.js';

describe('wordErrorRate', () => {
  it('is zero for identical text modulo case, punctuation and digits', () => {
    expect(
      wordErrorRate(
        'it should be resolved within the next twenty four hours',
        'It should be resolved, within the next 24 hours.',
      ).wer,
    ).toBe(0);
  });

  it('counts substitutions, insertions and deletions', () => {
    const r = wordErrorRate('how long will it take', 'how wrong will take it now');
    // long→wrong, an inserted "take" before "it", take→now.
    expect(r.errors).toBe(3);
    expect(r.referenceWords).toBe(5);
    expect(r.wer).toBeCloseTo(0.6);
  });

  it('spells long digit strings digit by digit', () => {
    expect(normalizeWords('account 4572')).toEqual([
      'account',
      'four',
      'thousand',
      'five',
      'hundred',
      'seventy',
      'two',
    ]);
    expect(normalizeWords('45728913')).toEqual([
      'four',
      'five',
      'seven',
      'two',
      'eight',
      'nine',
      'one',
      'three',
    ]);
  });
});
