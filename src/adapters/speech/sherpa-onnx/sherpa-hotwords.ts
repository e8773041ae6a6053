import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SherpaModel } from './sherpa-model-files.js';

/**
 * Writes the vocabulary as a sherpa-onnx hotwords file (one phrase per line), in the letter
 * case of the model's tokens (English BPE models are upper case). Hotwords need a transducer
 * (they work in modified beam search) and bpe.vocab to split phrases into the model's tokens;
 * otherwise the vocabulary is not applied, and the log says why.
 */
export async function writeHotwords(options: {
  model: SherpaModel;
  phrases: readonly string[];
  dataDir: string;
  log: Logger;
}): Promise<string | undefined> {
  const { model, phrases, log } = options;
  if (phrases.length === 0) return undefined;
  if (!model.type.endsWith('-transducer')) {
    log.warn(
      { modelType: model.type },
      'vocabulary not applied: sherpa-onnx hotwords need a transducer model',
    );
    return undefined;
  }
  if (!model.bpeVocab) {
    log.warn(
      { dir: model.dir },
      'vocabulary not applied: sherpa-onnx hotwords need bpe.vocab in the model directory',
    );
    return undefined;
  }
  const tokens = await readFile(model.tokens, 'utf8');
  const upper = (tokens.match(/[A-Z]/g) ?? []).length > (tokens.match(/[a-z]/g) ?? []).length;
  const path = join(options.dataDir, 'sherpa-hotwords.txt');
  await writeFile(
    path,
    phrases.map((p) => (upper ? p.toUpperCase() : p.toLowerCase())).join('\n') + '\n',
  );
  log.info({ phrases: phrases.length }, 'sherpa-onnx vocabulary applied as hotwords');
  return path;
}
