import { parentPort, workerData } from 'node:worker_threads';
import koffi from 'koffi';

/**
 * Worker thread: adds the vocabulary's new words to a copy of the generic language model as
 * unigrams (sphinxbase's ngram_model_add_word) and writes it in binary form. Runs in a worker
 * because the sphinxbase calls are synchronous (about 0.3 s for the 29 MB Debian model).
 */
interface Job {
  languageModel: string;
  out: string;
  words: string[];
  /** Probability of each new word relative to a uniform distribution over the model's words. */
  weight: number;
}

const NGRAM_AUTO = 0;
const NGRAM_BIN = 2;
const job = workerData as Job;
const port = parentPort;
try {
  const sb = koffi.load('libsphinxbase.so.3');
  // Otherwise the library reports every step on stderr.
  sb.func('void err_set_logfp(void *)')(null);
  const logmathInit = sb.func('void *logmath_init(double base, int shift, int use_table)');
  const logmathFree = sb.func('int logmath_free(void *lmath)');
  const read = sb.func(
    'void *ngram_model_read(void *config, const char *file, int type, void *lmath)',
  );
  const addWord = sb.func('int ngram_model_add_word(void *model, const char *word, float weight)');
  const write = sb.func('int ngram_model_write(void *model, const char *file, int format)');
  const free = sb.func('int ngram_model_free(void *model)');
  const lmath: unknown = logmathInit(1.0001, 0, 0);
  const model: unknown = read(null, job.languageModel, NGRAM_AUTO, lmath);
  if (!model) throw new Error(`cannot read language model ${job.languageModel}`);
  const added = job.words.filter((word) => (addWord(model, word, job.weight) as number) >= 0);
  if ((write(model, job.out, NGRAM_BIN) as number) < 0) throw new Error(`cannot write ${job.out}`);
  free(model);
  logmathFree(lmath);
  port?.postMessage({ ok: true, added });
} catch (error) {
  port?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
}
