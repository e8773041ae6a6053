import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxGraph } from './onnx-graph.js';
import { type MelScale, TONE_WORDS, toneClassifier } from './tone-words.js';

/**
 * Generators for tiny models in the exact layout of upstream sherpa-onnx releases (file names,
 * input/output names and shapes, and the metadata sherpa-onnx reads), built on the tone
 * classifier. Each writes a directory an operator could point `sherpaModelDir` at.
 */
export type GeneratedFamily =
  'streaming-transducer' | 'streaming-nemo-ctc' | 'offline-nemo-ctc' | 'silero-vad';

const FEATURE_DIM = 80;
const SUBSAMPLING = 4;
const WORD_TOKENS = TONE_WORDS.map((w) => `▁${w.word}`);
/** icefall's layout: blank first. */
const ICEFALL_TOKENS = ['<blk>', '<sos/eos>', '<unk>', ...WORD_TOKENS];
/** NeMo's layout: blank last, not counted in the model's vocab_size. */
const NEMO_TOKENS = ['<unk>', ...WORD_TOKENS, '<blk>'];

async function writeTokens(dir: string, tokens: readonly string[]): Promise<void> {
  await writeFile(join(dir, 'tokens.txt'), tokens.map((t, i) => `${t} ${i}`).join('\n') + '\n');
}

/**
 * Frames [N, T, 80] of log-mel → token scores [N, T/4, V]: the tone classifier per frame, then
 * mean-pooled over groups of 4 frames (the subsampling every sherpa-onnx model family assumes).
 */
function toneScores(
  g: OnnxGraph,
  frames: string,
  tokens: readonly string[],
  blank: string,
  scale: MelScale,
): string {
  const { weights, bias } = toneClassifier(tokens, blank, scale, FEATURE_DIM);
  const perFrame = g.op('Add', [
    g.op('MatMul', [frames, g.floats(weights, [FEATURE_DIM, tokens.length])]),
    g.floats(bias, [tokens.length]),
  ]);
  const channelsFirst = g.op('Transpose', [perFrame], { perm: [0, 2, 1] });
  const pooled = g.op('AveragePool', [channelsFirst], {
    kernel_shape: [SUBSAMPLING],
    strides: [SUBSAMPLING],
  });
  return g.op('Transpose', [pooled], { perm: [0, 2, 1] });
}

/**
 * A streaming LSTM transducer as icefall's lstm_transducer_stateless2 export-onnx.py writes it.
 * The decoder penalises repeating the last emitted token, so a word's tone, which lasts many
 * frames, is emitted once.
 */
export async function writeStreamingTransducer(
  dir: string,
  options: { dropEncoderMetadata?: string[] } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const vocab = ICEFALL_TOKENS.length;
  const chunkFrames = 32;
  const inputFrames = chunkFrames + 7;
  const layers = 1;
  const hidden = 4;

  const enc = new OnnxGraph('encoder');
  const x = enc.input('x', 'float', ['N', inputFrames, FEATURE_DIM]);
  enc.input('h', 'float', [layers, 'N', hidden]);
  enc.input('c', 'float', [layers, 'N', hidden]);
  const chunk = enc.op('Slice', [
    x,
    enc.ints([0], [1]),
    enc.ints([chunkFrames], [1]),
    enc.ints([1], [1]),
  ]);
  const scores = toneScores(enc, chunk, ICEFALL_TOKENS, '<blk>', 'kaldi');
  enc.op('Identity', [scores], {}, ['encoder_out']);
  enc.op('Identity', ['h'], {}, ['next_h']);
  enc.op('Identity', ['c'], {}, ['next_c']);
  enc.output('encoder_out', 'float', ['N', chunkFrames / SUBSAMPLING, vocab]);
  enc.output('next_h', 'float', [layers, 'N', hidden]);
  enc.output('next_c', 'float', [layers, 'N', hidden]);
  const encoderMetadata: Record<string, string | number> = {
    model_type: 'lstm',
    version: '1',
    model_author: 'callscribe-tests',
    comment: 'generated tone transducer',
    num_encoder_layers: layers,
    T: inputFrames,
    decode_chunk_len: chunkFrames,
    rnn_hidden_size: hidden,
    d_model: hidden,
  };
  for (const key of options.dropEncoderMetadata ?? []) delete encoderMetadata[key];
  await enc.save(join(dir, 'encoder-epoch-99-avg-1.onnx'), encoderMetadata);

  const contextSize = 2;
  const dec = new OnnxGraph('decoder');
  const y = dec.input('y', 'int64', ['N', contextSize]);
  // Row k: after emitting token k, every token sounding like k (same tone) is held back.
  const table = new Float32Array(vocab * vocab);
  const toneOf = (token: string | undefined) =>
    TONE_WORDS.find((w) => `▁${w.word}` === token)?.toneHz;
  ICEFALL_TOKENS.forEach((last, k) => {
    ICEFALL_TOKENS.forEach((next, j) => {
      if (toneOf(last) !== undefined && toneOf(last) === toneOf(next)) table[k * vocab + j] = -30;
    });
  });
  const last = dec.op('Gather', [y, dec.ints([contextSize - 1], [])], { axis: 1 });
  dec.op('Gather', [dec.floats(table, [vocab, vocab]), last], { axis: 0 }, ['decoder_out']);
  dec.output('decoder_out', 'float', ['N', vocab]);
  await dec.save(join(dir, 'decoder-epoch-99-avg-1.onnx'), {
    vocab_size: vocab,
    context_size: contextSize,
  });

  const join_ = new OnnxGraph('joiner');
  const e = join_.input('encoder_out', 'float', ['N', vocab]);
  const d = join_.input('decoder_out', 'float', ['N', vocab]);
  join_.op('Add', [e, d], {}, ['logit']);
  join_.output('logit', 'float', ['N', vocab]);
  await join_.save(join(dir, 'joiner-epoch-99-avg-1.onnx'), { joiner_dim: vocab });
  await writeTokens(dir, ICEFALL_TOKENS);
  // sentencepiece's vocabulary with scores, as upstream English transducers ship it for hotwords:
  // whole-word pieces score higher, so "planet" is one piece, not "plan" + "et".
  await writeFile(
    join(dir, 'bpe.vocab'),
    ICEFALL_TOKENS.map((t) => `${t}\t${t === '▁planet' ? -0.5 : -1}`).join('\n') + '\n',
  );
}

/** A cache-aware streaming NeMo CTC model (FastConformer export layout: caches in and out). */
export async function writeStreamingNemoCtc(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const windowFrames = 32;
  const g = new OnnxGraph('nemo-streaming-ctc');
  const signal = g.input('audio_signal', 'float', ['N', FEATURE_DIM, windowFrames]);
  g.input('length', 'int64', ['N']);
  g.input('cache_last_channel', 'float', ['N', 1, 2, 2]);
  g.input('cache_last_time', 'float', ['N', 1, 2, 2]);
  g.input('cache_last_channel_len', 'int64', ['N']);
  const frames = g.op('Transpose', [signal], { perm: [0, 2, 1] });
  g.op('LogSoftmax', [toneScores(g, frames, NEMO_TOKENS, '<blk>', 'kaldi')], { axis: -1 }, [
    'logprobs',
  ]);
  g.op('Div', ['length', g.ints([SUBSAMPLING], [])], {}, ['encoded_lengths']);
  g.op('Identity', ['cache_last_channel'], {}, ['cache_last_channel_next']);
  g.op('Identity', ['cache_last_time'], {}, ['cache_last_time_next']);
  g.op('Identity', ['cache_last_channel_len'], {}, ['cache_last_channel_len_next']);
  g.output('logprobs', 'float', ['N', windowFrames / SUBSAMPLING, NEMO_TOKENS.length]);
  g.output('encoded_lengths', 'int64', ['N']);
  g.output('cache_last_channel_next', 'float', ['N', 1, 2, 2]);
  g.output('cache_last_time_next', 'float', ['N', 1, 2, 2]);
  g.output('cache_last_channel_len_next', 'int64', ['N']);
  await g.save(join(dir, 'model.onnx'), {
    model_type: 'EncDecCTCModelBPE',
    version: '1',
    model_author: 'callscribe-tests',
    comment: 'generated tone streaming CTC',
    vocab_size: NEMO_TOKENS.length - 1,
    window_size: windowFrames,
    chunk_shift: windowFrames,
    subsampling_factor: SUBSAMPLING,
    normalize_type: '',
    cache_last_channel_dim1: 1,
    cache_last_channel_dim2: 2,
    cache_last_channel_dim3: 2,
    cache_last_time_dim1: 1,
    cache_last_time_dim2: 2,
    cache_last_time_dim3: 2,
  });
  await writeTokens(dir, NEMO_TOKENS);
}

/** An offline NeMo CTC model (EncDecCTCModelBPE export: audio_signal + length in, logprobs out). */
export async function writeOfflineNemoCtc(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const g = new OnnxGraph('nemo-ctc');
  const signal = g.input('audio_signal', 'float', ['N', FEATURE_DIM, 'T']);
  g.input('length', 'int64', ['N']);
  const frames = g.op('Transpose', [signal], { perm: [0, 2, 1] });
  g.op('LogSoftmax', [toneScores(g, frames, NEMO_TOKENS, '<blk>', 'slaney')], { axis: -1 }, [
    'logprobs',
  ]);
  g.output('logprobs', 'float', ['N', 'T2', NEMO_TOKENS.length]);
  await g.save(join(dir, 'model.int8.onnx'), {
    model_type: 'EncDecCTCModelBPE',
    version: '1',
    model_author: 'callscribe-tests',
    comment: 'generated tone CTC',
    vocab_size: NEMO_TOKENS.length - 1,
    subsampling_factor: SUBSAMPLING,
    normalize_type: '',
  });
  await writeTokens(dir, NEMO_TOKENS);
}

export async function writeModelFamily(family: GeneratedFamily, dir: string): Promise<void> {
  switch (family) {
    case 'streaming-transducer':
      return writeStreamingTransducer(dir);
    case 'streaming-nemo-ctc':
      return writeStreamingNemoCtc(dir);
    case 'offline-nemo-ctc':
      return writeOfflineNemoCtc(dir);
    case 'silero-vad':
      throw new Error('silero-vad is written by writeSileroVad');
  }
}
