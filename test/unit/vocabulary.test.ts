import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDictionary,
  pronounce,
  vocabularyWords,
} from '../../src/adapters/speech/pocketsphinx/pronunciations.js';
import { loadVocabulary } from '../../src/adapters/speech/vocabulary.js';

const dict = parseDictionary(
  [
    'fiber F AY B ER',
    'max M AE K S',
    'pay P EY',
    'zen Z EH N',
    'sarah S EH R AH',
    'sarah(2) S AA R AH',
  ].join('\n'),
);

describe('vocabulary', () => {
  it('takes phrases from the list, or from a file named by a single path entry', async () => {
    expect(await loadVocabulary(['FiberMax Gold', ' ZenPay '])).toEqual([
      'FiberMax Gold',
      'ZenPay',
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'vocab-'));
    try {
      await writeFile(join(dir, 'v.txt'), '# products\nFiberMax Gold\n\nZenPay\n');
      expect(await loadVocabulary([join(dir, 'v.txt')])).toEqual(['FiberMax Gold', 'ZenPay']);
      await expect(loadVocabulary([join(dir, 'missing.txt')])).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('splits phrases into lower-case words once each', () => {
    expect(vocabularyWords(['FiberMax Gold', 'fibermax', "Sarah's plan!"])).toEqual([
      'fibermax',
      'gold',
      "sarah's",
      'plan',
    ]);
  });

  it('pronounces dictionary words, compounds of dictionary words, and the rest by letters', () => {
    expect(pronounce('sarah', dict)).toEqual({ phones: 'S EH R AH', how: 'dictionary' });
    expect(pronounce('fibermax', dict)).toEqual({ phones: 'F AY B ER M AE K S', how: 'compound' });
    expect(pronounce('zenpay', dict)).toEqual({ phones: 'Z EH N P EY', how: 'compound' });
    expect(pronounce('qwik', dict)).toEqual({ phones: 'K W IH K', how: 'letters' });
  });
});
