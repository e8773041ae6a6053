import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';

export type SherpaModelFiles =
  | { kind: 'transducer'; encoder: string; decoder: string; joiner: string; tokens: string }
  | { kind: 'paraformer'; encoder: string; decoder: string; tokens: string };

/**
 * Finds a streaming model in a directory as unpacked from a k2-fsa sherpa-onnx release:
 * a transducer (zipformer/conformer/lstm: encoder, decoder, joiner) or a paraformer (encoder,
 * decoder), plus tokens.txt. File names carry epoch/chunk suffixes, so they are matched by
 * prefix; int8-quantised variants are preferred because they decode faster on CPU.
 */
export async function findSherpaModelFiles(dir: string | undefined): Promise<SherpaModelFiles> {
  if (dir === undefined || dir === '') {
    throw new AppError(
      'ENGINE_MODEL_MISSING',
      'sherpa-onnx needs sherpaModelDir (CALLSCRIBE_SHERPA_MODEL_DIR)',
      {
        details: { missing: ['sherpaModelDir'] },
      },
    );
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new AppError('ENGINE_MODEL_MISSING', 'sherpa-onnx model directory not found', {
      cause,
      details: { dir, missing: [dir] },
    });
  }
  const pick = (prefix: string): string | undefined => {
    const candidates = names.filter((n) => n.startsWith(prefix) && n.endsWith('.onnx')).sort();
    const chosen = candidates.find((n) => n.includes('.int8.')) ?? candidates[0];
    return chosen === undefined ? undefined : join(dir, chosen);
  };
  const encoder = pick('encoder');
  const decoder = pick('decoder');
  const joiner = pick('joiner');
  const tokens = names.includes('tokens.txt') ? join(dir, 'tokens.txt') : undefined;
  const missing = [
    ...(encoder ? [] : ['encoder*.onnx']),
    ...(decoder ? [] : ['decoder*.onnx']),
    ...(tokens ? [] : ['tokens.txt']),
  ];
  if (missing.length > 0 || !encoder || !decoder || !tokens) {
    throw new AppError(
      'ENGINE_MODEL_MISSING',
      `sherpa-onnx model incomplete, missing: ${missing.join(', ')}`,
      {
        details: { dir, missing },
      },
    );
  }
  return joiner
    ? { kind: 'transducer', encoder, decoder, joiner, tokens }
    : { kind: 'paraformer', encoder, decoder, tokens };
}
