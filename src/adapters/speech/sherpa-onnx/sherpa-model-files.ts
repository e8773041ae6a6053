import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { SherpaModelType } from '../../../config/sherpa-model-types.js';
import { readOnnxMetadata } from './onnx-metadata.js';

export type { SherpaModelType };

export interface SherpaModel {
  type: SherpaModelType;
  /** Streaming models decode as audio arrives; offline ones decode VAD segments. */
  mode: 'online' | 'offline';
  dir: string;
  /** The `modelConfig` part sherpa-onnx-node takes, without tokens and threads. */
  modelConfig: Record<string, unknown>;
  tokens: string;
  /** `bpe.vocab` next to the model: needed to turn hotword phrases into BPE tokens. */
  bpeVocab?: string;
  /** `silero_vad.onnx` in the model directory, if the operator put one there. */
  vadModel?: string;
}

function missingModel(message: string, details: Record<string, unknown>): AppError {
  return new AppError('ENGINE_MODEL_MISSING', message, { details });
}

/**
 * Recognises a model directory as unpacked from an upstream sherpa-onnx release, by its file
 * names and the ONNX metadata sherpa-onnx itself reads (so nothing needs renaming). int8
 * variants are preferred. `override` skips the guess but still checks the files are there.
 */
export async function findSherpaModel(
  dir: string | undefined,
  override?: SherpaModelType,
): Promise<SherpaModel> {
  if (dir === undefined || dir === '') {
    throw missingModel('sherpa-onnx needs sherpaModelDir (CALLSCRIBE_SHERPA_MODEL_DIR)', {
      missing: ['sherpaModelDir'],
    });
  }
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (cause) {
    throw new AppError('ENGINE_MODEL_MISSING', `sherpa-onnx model directory not found: ${dir}`, {
      cause,
      details: { dir, missing: [dir] },
    });
  }
  const onnx = names.filter((n) => n.endsWith('.onnx') && !n.startsWith('silero_vad'));
  const pick = (pattern: RegExp): string | undefined => {
    const candidates = onnx.filter((n) => pattern.test(n));
    const chosen = candidates.find((n) => n.includes('.int8.')) ?? candidates[0];
    return chosen === undefined ? undefined : join(dir, chosen);
  };
  const tokensName = names.includes('tokens.txt')
    ? 'tokens.txt'
    : names.find((n) => n.endsWith('-tokens.txt'));
  const found = { dir, files: names };
  const require = (
    parts: Record<string, string | undefined>,
    type: string,
  ): Record<string, string> => {
    const missing = Object.entries(parts)
      .filter(([, path]) => path === undefined)
      .map(([name]) => name);
    if (!tokensName) missing.push('tokens.txt');
    if (missing.length > 0) {
      throw missingModel(
        `sherpa-onnx model in ${dir} looks like ${type} but is incomplete: missing ${missing.join(', ')} (found: ${names.join(', ') || 'nothing'})`,
        { ...found, type, missing },
      );
    }
    return parts as Record<string, string>;
  };
  const metadataOf = async (path: string): Promise<Record<string, string>> => {
    try {
      return await readOnnxMetadata(path);
    } catch (cause) {
      throw new AppError(
        'ENGINE_MODEL_MISSING',
        `not a valid ONNX model: ${path} (${cause instanceof Error ? cause.message : String(cause)})`,
        {
          cause,
          details: { ...found, corrupt: path },
        },
      );
    }
  };
  const base = {
    dir,
    ...(names.includes('bpe.vocab') ? { bpeVocab: join(dir, 'bpe.vocab') } : {}),
    ...(names.includes('silero_vad.onnx') ? { vadModel: join(dir, 'silero_vad.onnx') } : {}),
  };
  const model = (type: SherpaModelType, modelConfig: Record<string, unknown>): SherpaModel => ({
    ...base,
    type,
    mode: type.startsWith('online-') ? 'online' : 'offline',
    modelConfig,
    tokens: join(dir, tokensName ?? 'tokens.txt'),
  });

  const whisper = {
    encoder: pick(/-encoder(\.int8)?\.onnx$/),
    decoder: pick(/-decoder(\.int8)?\.onnx$/),
  };
  const moonshine = {
    preprocessor: pick(/^preprocess/),
    encoder: pick(/^encode[.-]/),
    uncachedDecoder: pick(/^uncached_decode/),
    cachedDecoder: pick(/^cached_decode/),
  };
  const transducer = {
    encoder: pick(/^encoder/),
    decoder: pick(/^decoder/),
    joiner: pick(/^joiner/),
  };
  const single =
    pick(/^(model|ctc)[.-]/) ?? (onnx.length === 1 ? join(dir, onnx[0] ?? '') : undefined);

  let type = override;
  let metadata: Record<string, string> = {};
  if (type === undefined) {
    if (whisper.encoder && whisper.decoder && !transducer.encoder) type = 'offline-whisper';
    else if (moonshine.preprocessor || moonshine.uncachedDecoder) type = 'offline-moonshine';
    else if (transducer.encoder && transducer.joiner) {
      metadata = await metadataOf(transducer.encoder);
      type = isStreamingEncoder(metadata) ? 'online-transducer' : 'offline-transducer';
    } else if (transducer.encoder && transducer.decoder) {
      metadata = await metadataOf(transducer.encoder);
      if (!('lfr_window_size' in metadata)) {
        throw missingModel(
          `sherpa-onnx model in ${dir} has an encoder and a decoder but no joiner, and the encoder is not a streaming paraformer (no lfr_window_size metadata); set sherpaModelType if it is a supported family`,
          { ...found, metadataKeys: Object.keys(metadata) },
        );
      }
      type = 'online-paraformer';
    } else if (single) {
      metadata = await metadataOf(single);
      type = singleFileType(metadata);
      if (!type) {
        throw missingModel(
          `sherpa-onnx model ${single} has no metadata of a supported family (model_type=${metadata.model_type ?? 'none'}); set sherpaModelType to override`,
          { ...found, metadataKeys: Object.keys(metadata) },
        );
      }
    } else {
      throw missingModel(
        `no sherpa-onnx model found in ${dir}: expected encoder/decoder/joiner*.onnx, a single model*.onnx, whisper *-encoder/*-decoder.onnx or moonshine files, plus tokens.txt (found: ${names.join(', ') || 'nothing'})`,
        { ...found, missing: ['*.onnx', ...(tokensName ? [] : ['tokens.txt'])] },
      );
    }
  }
  switch (type) {
    case 'online-transducer':
      return model(type, { transducer: require(transducer, type) });
    case 'offline-transducer': {
      const files = require(transducer, type);
      if (Object.keys(metadata).length === 0) metadata = await metadataOf(files.encoder ?? '');
      // NeMo (Parakeet TDT, FastConformer) transducers need sherpa-onnx's NeMo decoder.
      const nemo = (metadata.model_type ?? '').startsWith('EncDec');
      return model(type, { transducer: files, ...(nemo ? { modelType: 'nemo_transducer' } : {}) });
    }
    case 'online-paraformer':
      return model(type, {
        paraformer: require({ encoder: transducer.encoder, decoder: transducer.decoder }, type),
      });
    case 'online-zipformer2-ctc':
      return model(type, { zipformer2Ctc: require({ model: single }, type) });
    case 'online-nemo-ctc':
      return model(type, { nemoCtc: require({ model: single }, type) });
    case 'offline-paraformer':
      return model(type, { paraformer: require({ model: single }, type) });
    case 'offline-nemo-ctc':
      return model(type, { nemoCtc: require({ model: single }, type) });
    case 'offline-zipformer-ctc':
      return model(type, { zipformerCtc: require({ model: single }, type) });
    case 'offline-sense-voice':
      return model(type, {
        senseVoice: { ...require({ model: single }, type), useInverseTextNormalization: 1 },
      });
    case 'offline-whisper':
      return model(type, {
        whisper: { ...require(whisper, type), language: 'en', task: 'transcribe' },
      });
    case 'offline-moonshine':
      return model(type, { moonshine: require(moonshine, type) });
  }
}

/** icefall's streaming exports carry their chunk geometry; offline ones do not. */
function isStreamingEncoder(metadata: Record<string, string>): boolean {
  return 'decode_chunk_len' in metadata || 'T' in metadata || 'chunk_size' in metadata;
}

function singleFileType(metadata: Record<string, string>): SherpaModelType | undefined {
  const modelType = metadata.model_type ?? '';
  if ('cache_last_channel_dim1' in metadata) return 'online-nemo-ctc';
  if (isStreamingEncoder(metadata)) return 'online-zipformer2-ctc';
  if ('with_itn' in metadata || 'lang_auto' in metadata) return 'offline-sense-voice';
  if ('lfr_window_size' in metadata) return 'offline-paraformer';
  if (modelType.startsWith('EncDec')) return 'offline-nemo-ctc';
  if (modelType.includes('zipformer')) return 'offline-zipformer-ctc';
  return undefined;
}
