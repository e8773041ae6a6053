import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpeechEngine } from '../../src/adapters/speech/create-speech-engine.js';
import { findSherpaModel } from '../../src/adapters/speech/sherpa-onnx/sherpa-model-files.js';
import { readOnnxMetadata } from '../../src/adapters/speech/sherpa-onnx/onnx-metadata.js';
import { loadConfig } from '../../src/config/load.js';
import {
  writeOfflineNemoCtc,
  writeStreamingNemoCtc,
  writeStreamingTransducer,
} from '../support/sherpa-models/model-families.js';

describe('sherpa-onnx model directory', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const fresh = async () => (dir = await mkdtemp(join(tmpdir(), 'sherpa-')));
  const touch = async (...names: string[]) => {
    const d = await fresh();
    for (const name of names) await writeFile(join(d, name), '');
    return d;
  };

  it('refuses a missing setting, naming it', async () => {
    await expect(findSherpaModel(undefined)).rejects.toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
      details: { missing: ['sherpaModelDir'] },
    });
  });

  it('refuses a directory that does not exist', async () => {
    await expect(findSherpaModel('/nonexistent/sherpa-model')).rejects.toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
    });
  });

  it('detects each generated family from file names and ONNX metadata', async () => {
    const d = await fresh();
    await writeStreamingTransducer(join(d, 't'));
    await writeStreamingNemoCtc(join(d, 'c'));
    await writeOfflineNemoCtc(join(d, 'o'));
    const t = await findSherpaModel(join(d, 't'));
    expect(t).toMatchObject({ type: 'online-transducer', mode: 'online' });
    expect(t.modelConfig).toEqual({
      transducer: {
        encoder: join(d, 't', 'encoder-epoch-99-avg-1.onnx'),
        decoder: join(d, 't', 'decoder-epoch-99-avg-1.onnx'),
        joiner: join(d, 't', 'joiner-epoch-99-avg-1.onnx'),
      },
    });
    expect(await findSherpaModel(join(d, 'c'))).toMatchObject({ type: 'online-nemo-ctc' });
    expect(await findSherpaModel(join(d, 'o'))).toMatchObject({
      type: 'offline-nemo-ctc',
      mode: 'offline',
      modelConfig: { nemoCtc: { model: join(d, 'o', 'model.int8.onnx') } },
    });
    expect(await readOnnxMetadata(join(d, 't', 'encoder-epoch-99-avg-1.onnx'))).toMatchObject({
      model_type: 'lstm',
      decode_chunk_len: '32',
    });
  });

  it('names what is missing from an incomplete directory, and what it found', async () => {
    const d = await fresh();
    await writeStreamingTransducer(d);
    await rm(join(d, 'tokens.txt'));
    const error = await findSherpaModel(d).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
      details: { missing: ['tokens.txt'] },
    });
    expect((error as Error).message).toContain('encoder-epoch-99-avg-1.onnx');
  });

  it('refuses a file that is not ONNX', async () => {
    const d = await fresh();
    await writeFile(join(d, 'model.onnx'), 'not a model at all');
    await writeFile(join(d, 'tokens.txt'), '<blk> 0\n');
    await expect(findSherpaModel(d)).rejects.toThrow(/not a valid ONNX model/);
  });

  it('finds Whisper and Moonshine releases by name and prefers int8 files', async () => {
    const whisper = await touch(
      'tiny.en-encoder.onnx',
      'tiny.en-encoder.int8.onnx',
      'tiny.en-decoder.onnx',
      'tiny.en-decoder.int8.onnx',
      'tiny.en-tokens.txt',
    );
    expect(await findSherpaModel(whisper)).toMatchObject({
      type: 'offline-whisper',
      tokens: join(whisper, 'tiny.en-tokens.txt'),
      modelConfig: { whisper: { encoder: join(whisper, 'tiny.en-encoder.int8.onnx') } },
    });
    await rm(whisper, { recursive: true });
    const moonshine = await touch(
      'preprocess.onnx',
      'encode.int8.onnx',
      'uncached_decode.int8.onnx',
      'cached_decode.int8.onnx',
      'tokens.txt',
    );
    expect(await findSherpaModel(moonshine)).toMatchObject({ type: 'offline-moonshine' });
  });

  it('sherpaModelType overrides detection but still checks the files', async () => {
    const d = await touch('model.int8.onnx', 'tokens.txt');
    expect(await findSherpaModel(d, 'offline-sense-voice')).toMatchObject({
      type: 'offline-sense-voice',
      modelConfig: { senseVoice: { model: join(d, 'model.int8.onnx') } },
    });
    await expect(findSherpaModel(d, 'offline-whisper')).rejects.toMatchObject({
      details: { missing: ['encoder', 'decoder'] },
    });
  });

  it('createSpeechEngine fails fast with ENGINE_MODEL_MISSING when engine=sherpa-onnx has no model', async () => {
    const config = loadConfig({
      env: {},
      overrides: { engine: 'sherpa-onnx', sherpaModelDir: '/nonexistent/sherpa-model' },
    });
    await expect(createSpeechEngine(config, pino({ level: 'silent' }))).rejects.toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
    });
  });
});
