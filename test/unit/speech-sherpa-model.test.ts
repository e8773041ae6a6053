import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpeechEngine } from '../../src/adapters/speech/create-speech-engine.js';
import { findSherpaModelFiles } from '../../src/adapters/speech/sherpa-onnx/sherpa-model-files.js';
import { loadConfig } from '../../src/config/load.js';
import { AppError } from '../../src/domain/errors.js';

describe('sherpa-onnx model directory', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const touch = async (...names: string[]) => {
    dir = await mkdtemp(join(tmpdir(), 'sherpa-'));
    for (const name of names) await writeFile(join(dir, name), '');
    return dir;
  };

  it('refuses a missing setting, naming it', async () => {
    await expect(findSherpaModelFiles(undefined)).rejects.toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
      details: { missing: ['sherpaModelDir'] },
    });
  });

  it('refuses a directory that does not exist', async () => {
    await expect(findSherpaModelFiles('/nonexistent/sherpa-model')).rejects.toMatchObject({
      code: 'ENGINE_MODEL_MISSING',
    });
  });

  it('names the missing files of a malformed directory', async () => {
    const d = await touch('encoder-epoch-99-avg-1-chunk-16-left-128.onnx', 'README.md');
    const error = await findSherpaModelFiles(d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details.missing).toEqual(['decoder*.onnx', 'tokens.txt']);
    expect((error as AppError).message).toContain('tokens.txt');
  });

  it('finds a zipformer transducer and prefers int8 files', async () => {
    const d = await touch(
      'encoder-epoch-99-avg-1-chunk-16-left-128.onnx',
      'encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx',
      'decoder-epoch-99-avg-1-chunk-16-left-128.onnx',
      'joiner-epoch-99-avg-1-chunk-16-left-128.int8.onnx',
      'tokens.txt',
    );
    expect(await findSherpaModelFiles(d)).toEqual({
      kind: 'transducer',
      encoder: join(d, 'encoder-epoch-99-avg-1-chunk-16-left-128.int8.onnx'),
      decoder: join(d, 'decoder-epoch-99-avg-1-chunk-16-left-128.onnx'),
      joiner: join(d, 'joiner-epoch-99-avg-1-chunk-16-left-128.int8.onnx'),
      tokens: join(d, 'tokens.txt'),
    });
  });

  it('finds a streaming paraformer', async () => {
    const d = await touch('encoder.int8.onnx', 'decoder.int8.onnx', 'tokens.txt');
    expect((await findSherpaModelFiles(d)).kind).toBe('paraformer');
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
