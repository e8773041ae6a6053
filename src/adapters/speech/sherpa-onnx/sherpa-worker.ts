import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { SpeechResult } from '../../../ports/speech-engine.js';
import type { FromSherpaWorker, SherpaWorkerData, ToSherpaWorker } from './sherpa-protocol.js';

/** The slice of sherpa-onnx-node (untyped CommonJS) this worker uses. */
interface OnlineStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}
interface OnlineRecognizer {
  createStream(): OnlineStream;
  isReady(stream: OnlineStream): boolean;
  decode(stream: OnlineStream): void;
  isEndpoint(stream: OnlineStream): boolean;
  reset(stream: OnlineStream): void;
  getResult(stream: OnlineStream): { text?: string; timestamps?: number[] };
}
interface SherpaModule {
  OnlineRecognizer: new (config: unknown) => OnlineRecognizer;
}

const PARTIAL_INTERVAL_MS = 200;
/** Trailing silence fed at finish so the model emits the last tokens. */
const TAIL_PADDING_MS = 400;

interface StreamState {
  stream: OnlineStream;
  sampleRateHz: number;
  timeMs: number;
  segmentStartMs: number;
  utterance: number;
  lastText: string;
  lastPartialAtMs: number;
}

const port = parentPort;
if (!port) throw new Error('sherpa-worker must run in a worker thread');
const send = (message: FromSherpaWorker): void => port.postMessage(message);
const data = workerData as SherpaWorkerData;
const streams = new Map<number, StreamState>();

let recognizer: OnlineRecognizer | undefined;
try {
  const sherpa = createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
  const model = data.model;
  recognizer = new sherpa.OnlineRecognizer({
    featConfig: { sampleRate: 16_000, featureDim: 80 },
    modelConfig: {
      ...(model.kind === 'transducer'
        ? { transducer: { encoder: model.encoder, decoder: model.decoder, joiner: model.joiner } }
        : { paraformer: { encoder: model.encoder, decoder: model.decoder } }),
      tokens: model.tokens,
      numThreads: data.numThreads,
      provider: 'cpu',
      debug: 0,
    },
    decodingMethod: 'greedy_search',
    enableEndpoint: 1,
    // Contact-center turns are short; end an utterance after 0.8 s of trailing silence.
    rule1MinTrailingSilence: 2.4,
    rule2MinTrailingSilence: 0.8,
    rule3MinUtteranceLength: 20,
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}

port.on('message', (message: ToSherpaWorker) => {
  if (!recognizer) return;
  try {
    handle(recognizer, message);
  } catch (error) {
    streams.delete(message.streamId);
    send({
      type: 'stream-failed',
      streamId: message.streamId,
      message: error instanceof Error ? error.message : String(error),
    });
  }
});

function handle(r: OnlineRecognizer, message: ToSherpaWorker): void {
  switch (message.type) {
    case 'open':
      streams.set(message.streamId, {
        stream: r.createStream(),
        sampleRateHz: message.sampleRateHz,
        timeMs: 0,
        segmentStartMs: 0,
        utterance: 0,
        lastText: '',
        lastPartialAtMs: -Infinity,
      });
      return;
    case 'audio': {
      const state = streams.get(message.streamId);
      if (!state) return;
      state.stream.acceptWaveform({
        samples: toFloat(message.pcm),
        sampleRate: state.sampleRateHz,
      });
      state.timeMs += (message.pcm.length * 1000) / state.sampleRateHz;
      decode(r, message.streamId, state, false);
      return;
    }
    case 'finish': {
      const state = streams.get(message.streamId);
      streams.delete(message.streamId);
      if (state) {
        const padding = new Float32Array(Math.round((state.sampleRateHz * TAIL_PADDING_MS) / 1000));
        state.stream.acceptWaveform({ samples: padding, sampleRate: state.sampleRateHz });
        state.stream.inputFinished();
        decode(r, message.streamId, state, true);
      }
      send({ type: 'finished', streamId: message.streamId });
      return;
    }
    case 'abort':
      streams.delete(message.streamId);
      return;
  }
}

function decode(r: OnlineRecognizer, streamId: number, state: StreamState, final: boolean): void {
  while (r.isReady(state.stream)) r.decode(state.stream);
  const result = r.getResult(state.stream);
  const text = (result.text ?? '').trim().toLowerCase();
  const timestamps = result.timestamps ?? [];
  const startMs = state.segmentStartMs + Math.round((timestamps[0] ?? 0) * 1000);
  const endMs = Math.min(
    state.timeMs,
    state.segmentStartMs + Math.round((timestamps.at(-1) ?? 0) * 1000) + 200,
  );
  const emit = (isPartial: boolean): void => {
    const out: SpeechResult = {
      resultId: String(state.utterance),
      text,
      startMs,
      endMs: Math.max(startMs, isPartial ? state.timeMs : endMs),
      isPartial,
    };
    send({ type: 'result', streamId, result: out });
  };
  if (final || r.isEndpoint(state.stream)) {
    if (text !== '') emit(false);
    if (!final) {
      r.reset(state.stream);
      state.segmentStartMs = state.timeMs;
      state.utterance += 1;
      state.lastText = '';
      state.lastPartialAtMs = -Infinity;
    }
    return;
  }
  if (
    text !== '' &&
    text !== state.lastText &&
    state.timeMs - state.lastPartialAtMs >= PARTIAL_INTERVAL_MS
  ) {
    state.lastText = text;
    state.lastPartialAtMs = state.timeMs;
    emit(true);
  }
}

function toFloat(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32768;
  return out;
}
