import { join } from 'node:path';

/**
 * Decoder arguments measured on phone-band audio (research notes, §5): pruned beams cut CPU by
 * a third at equal WER; the model is 16 kHz-trained, so audio is upsampled rather than decoded
 * with a narrowband filterbank (which was far worse).
 */
export function pocketsphinxArgs(options: {
  shadowModelDir: string;
  modelDir: string;
  languageModel: string | undefined;
  /** A dictionary with the vocabulary's extra words (default: the model's CMU dictionary). */
  dictionary?: string;
}): string[] {
  return [
    '-hmm',
    options.shadowModelDir,
    '-lm',
    options.languageModel ?? join(options.modelDir, 'en-us.lm.bin'),
    '-dict',
    options.dictionary ?? join(options.modelDir, 'cmudict-en-us.dict'),
    '-samprate',
    '16000',
    '-maxhmmpf',
    '3000',
    '-maxwpf',
    '10',
    '-pl_window',
    '5',
    '-logfn',
    '/dev/null',
  ];
}
