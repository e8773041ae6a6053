import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { SherpaOnnxEngine } from '../../src/adapters/speech/sherpa-onnx/sherpa-onnx-engine.js';
import type { SpeechResult } from '../../src/ports/speech-engine.js';
import { loadSampleCall } from '../contract/speech-engine-contract.js';
import { writeStreamingTransducer } from '../support/sherpa-models/model-families.js';
import { renderToneScript } from '../support/sherpa-models/tone-words.js';
import { tools } from '../support/tools.js';
import { transcribeSample } from '../support/transcribe-sample.js';

const log = pino({ level: 'silent' });
const pocketsphinx = tools.pocketsphinx();

describe('vocabulary on sherpa-onnx: transducer hotwords through the real runtime', () => {
  it('"planet" loses to the likelier "plan" without the setting and wins with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callscribe-hotwords-'));
    await writeStreamingTransducer(join(dir, 'model'));
    const pcm = renderToneScript(
      { utterances: [{ words: ['plan'], startMs: 500 }], totalMs: 3000 },
      16_000,
    );
    const run = async (vocabulary: string[]) => {
      const engine = await SherpaOnnxEngine.create(
        {
          sherpaModelDir: join(dir, 'model'),
          sherpaModelType: undefined,
          sherpaWorkers: 1,
          sherpaThreadsPerWorker: 1,
          sherpaVadModel: undefined,
          sherpaMaxSegmentMs: 15_000,
          sherpaEndSilenceMs: 500,
          sherpaPartialIntervalMs: 1000,
        },
        log,
        { vocabulary, dataDir: dir, hotwordsScore: 2 },
      );
      const finals: SpeechResult[] = [];
      const stream = await engine.open({
        callId: 'hot',
        channel: 'CALLER',
        sampleRateHz: 16_000,
        languageCode: 'en-US',
        log,
        onResult: (r) => {
          if (!r.isPartial) finals.push(r);
        },
        onError: (e) => {
          throw e;
        },
      });
      for (let i = 0; i < pcm.length; i += 320) stream.write(pcm.slice(i, i + 320));
      await stream.finish();
      await engine.close();
      return finals.map((f) => f.text).join(' ');
    };
    try {
      expect(await run([])).toBe('plan');
      expect(await run(['Planet'])).toBe('planet');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(!pocketsphinx.available)(
  'vocabulary on PocketSphinx: dictionary and language-model entries',
  () => {
    it('recognises the product names of samples/product-call only with the setting', async () => {
      const sample = loadSampleCall('product-call');
      const count = (text: string, word: string) =>
        text.split(' ').filter((w) => w === word).length;
      const run = async (vocabulary: string[]) => {
        const dataDir = await mkdtemp(join(tmpdir(), 'callscribe-vocab-'));
        const engine = await PocketsphinxEngine.create(
          {
            dataDir,
            pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
            pocketsphinxWorkers: 2,
            pocketsphinxLanguageModel: undefined,
          },
          log,
          { vocabulary },
        );
        try {
          const r = await transcribeSample(engine, sample, 'product');
          const text = `${r.text.CALLER} ${r.text.AGENT}`;
          return { wer: r.wer, fibermax: count(text, 'fibermax'), zenpay: count(text, 'zenpay') };
        } finally {
          await engine.close();
          await rm(dataDir, { recursive: true, force: true });
        }
      };
      const without = await run([]);
      const withVocabulary = await run(['FiberMax', 'ZenPay']);
      console.info(
        `[vocabulary] product-call WER without ${without.wer.toFixed(3)}, with ${withVocabulary.wer.toFixed(3)}; ` +
          `fibermax ${without.fibermax}→${withVocabulary.fibermax} of 5, zenpay ${without.zenpay}→${withVocabulary.zenpay} of 2`,
      );
      expect(without.fibermax).toBe(0);
      expect(without.zenpay).toBe(0);
      expect(withVocabulary.fibermax).toBeGreaterThanOrEqual(3);
      expect(withVocabulary.zenpay).toBeGreaterThanOrEqual(1);
      expect(withVocabulary.wer).toBeLessThan(without.wer);
    }, 120_000);
  },
);
