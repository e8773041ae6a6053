import { mkdir, readdir, readFile, rm, symlink, writeFile, rename } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { AppError } from '../../../domain/errors.js';

/**
 * Live-CMN start vector for 300–3400 Hz µ-law audio through the FIR 8→16 kHz upsampler, read
 * from the pocketsphinx log after decoding a phone-band call (research notes, §5). The model's
 * own vector is for wideband audio and costs several WER points on the first utterances.
 */
export const PHONE_BAND_CMNINIT =
  '46.70,24.58,-40.58,33.30,-26.68,-22.48,5.54,-40.76,1.66,-4.94,-19.52,10.38,-13.46';

/**
 * In this pocketsphinx version the model's feat.params overrides feature options given on the
 * command line, so -cmninit only takes effect through a copy of the model directory: symlinks to
 * the big files plus an edited feat.params. Rebuilt on every start so a changed model or vector
 * is always picked up.
 *
 * One directory per thread: each media worker builds its own engine at the same moment, and a
 * shared directory would be removed under one worker's decoders while the other replaced it.
 */
export async function buildShadowModel(options: {
  acousticModelDir: string;
  cacheDir: string;
  cmninit: string;
}): Promise<string> {
  let entries: string[];
  let featParams: string;
  try {
    entries = await readdir(options.acousticModelDir);
    featParams = await readFile(join(options.acousticModelDir, 'feat.params'), 'utf8');
  } catch (cause) {
    throw new AppError('ENGINE_MODEL_MISSING', 'pocketsphinx acoustic model not found', {
      cause,
      details: { acousticModelDir: options.acousticModelDir },
    });
  }
  const target = join(options.cacheDir, `pocketsphinx-model-${threadId}`);
  const staging = `${target}.${process.pid}.${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  for (const entry of entries) {
    if (entry === 'feat.params') continue;
    await symlink(join(options.acousticModelDir, entry), join(staging, entry));
  }
  const lines = featParams
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('-cmninit'));
  lines.push(`-cmninit ${options.cmninit}`);
  await writeFile(join(staging, 'feat.params'), lines.join('\n') + '\n');
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  return target;
}
