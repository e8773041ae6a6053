/** PocketSphinx WER with and without the `vocabulary` setting, on both sample calls. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { loadSampleCall } from '../../test/contract/speech-engine-contract.js';
import { transcribeSample } from '../../test/support/transcribe-sample.js';

export const BENCH_VOCABULARY = ['FiberMax', 'ZenPay'];

export interface VocabularyRow {
  sample: string;
  vocabulary: string;
  wer: number;
  words: number;
  fibermax: number;
  zenpay: number;
}

export async function vocabularyWer(workers: number): Promise<VocabularyRow[]> {
  const rows: VocabularyRow[] = [];
  for (const vocabulary of [[], BENCH_VOCABULARY]) {
    const dataDir = await mkdtemp(join(tmpdir(), 'callscribe-bench-vocab-'));
    const engine = await PocketsphinxEngine.create(
      {
        dataDir,
        pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
        pocketsphinxWorkers: workers,
        pocketsphinxLanguageModel: undefined,
      },
      pino({ level: 'silent' }),
      { vocabulary },
    );
    try {
      for (const sample of ['support-call', 'product-call']) {
        const r = await transcribeSample(engine, loadSampleCall(sample), `vocab-${sample}`);
        const words = `${r.text.CALLER} ${r.text.AGENT}`.split(' ');
        rows.push({
          sample,
          vocabulary: vocabulary.join(', ') || '(none)',
          wer: r.wer,
          words: r.words,
          fibermax: words.filter((w) => w === 'fibermax').length,
          zenpay: words.filter((w) => w === 'zenpay').length,
        });
      }
    } finally {
      await engine.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return rows;
}
