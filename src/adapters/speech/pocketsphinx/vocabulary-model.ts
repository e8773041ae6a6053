import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AppError } from '../../../domain/errors.js';
import { spawnModuleWorker } from '../../worker-threads/spawn-module-worker.js';
import { parseDictionary, pronounce, vocabularyWords } from './pronunciations.js';

export interface VocabularyModel {
  dictionary: string;
  languageModel: string;
  /** What was done per word, for the start-up log. */
  words: { word: string; phones: string; how: string; addedToLm: boolean }[];
}

/**
 * New words' weight in the language model: 20 times a uniform share of the vocabulary, measured
 * on samples/product-call (a lower weight left "fibermax" mostly unrecognised, a much higher one
 * made it replace ordinary words).
 */
export const VOCABULARY_LM_WEIGHT = 20;

/**
 * Makes the vocabulary recognisable by PocketSphinx: a copy of the CMU dictionary with entries
 * for words it lacks (pronunciations from dictionary pieces or letter rules), and a copy of the
 * generic language model with those words added as unigrams. Words the model already knows are
 * left as they are: their probability is not raised. Written under `<cacheDir>` at each start,
 * one directory per thread (media workers build their engines at the same moment).
 */
export async function buildVocabularyModel(options: {
  phrases: readonly string[];
  modelDir: string;
  languageModel: string;
  cacheDir: string;
  log: Logger;
}): Promise<VocabularyModel> {
  const dictPath = join(options.modelDir, 'cmudict-en-us.dict');
  const dictText = await readFile(dictPath, 'utf8').catch((cause: unknown) => {
    throw new AppError('ENGINE_MODEL_MISSING', `pocketsphinx dictionary not found: ${dictPath}`, {
      cause,
    });
  });
  const dict = parseDictionary(dictText);
  const words = vocabularyWords(options.phrases).map((word) => ({
    word,
    ...pronounce(word, dict),
  }));
  const fresh = words.filter((w) => w.how !== 'dictionary');
  const target = join(options.cacheDir, `pocketsphinx-vocabulary-${threadId}`);
  const staging = `${target}.${process.pid}.${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  const extra = fresh.map((w) => `${w.word} ${w.phones}`).join('\n');
  await writeFile(join(staging, 'dictionary.dict'), `${dictText.trimEnd()}\n${extra}\n`);
  const added = await addToLanguageModel({
    languageModel: options.languageModel,
    out: join(staging, 'language-model.lm.bin'),
    words: fresh.map((w) => w.word),
    weight: VOCABULARY_LM_WEIGHT,
  });
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  const result = {
    dictionary: join(target, 'dictionary.dict'),
    languageModel: join(target, 'language-model.lm.bin'),
    words: words.map((w) => ({ ...w, addedToLm: added.includes(w.word) })),
  };
  options.log.info(
    { words: result.words.map((w) => `${w.word}:${w.how}${w.addedToLm ? '+lm' : ''}`) },
    'pocketsphinx vocabulary applied',
  );
  return result;
}

function addToLanguageModel(job: {
  languageModel: string;
  out: string;
  words: string[];
  weight: number;
}): Promise<string[]> {
  const worker = spawnModuleWorker(import.meta.url, 'vocabulary-lm-worker', job);
  return new Promise((resolve, reject) => {
    worker.once('message', (message: { ok: boolean; added?: string[]; message?: string }) => {
      void worker.terminate();
      if (message.ok) resolve(message.added ?? []);
      else
        reject(
          new AppError('ENGINE_MODEL_MISSING', 'pocketsphinx vocabulary language model failed', {
            details: { reason: message.message },
          }),
        );
    });
    worker.once('error', reject);
  });
}
