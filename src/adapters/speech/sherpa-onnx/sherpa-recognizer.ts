import { createRequire } from 'node:module';
import type { SherpaWorkerData } from './sherpa-protocol.js';

/** The slice of sherpa-onnx-node (untyped CommonJS) callscribe uses. */
export interface Waveform {
  samples: Float32Array;
  sampleRate: number;
}
export interface OnlineStream {
  acceptWaveform(wave: Waveform): void;
  inputFinished(): void;
}
export interface OnlineResult {
  text?: string;
  timestamps?: number[];
  start_time?: number;
}
export interface OnlineRecognizer {
  createStream(): OnlineStream;
  isReady(stream: OnlineStream): boolean;
  decode(stream: OnlineStream): void;
  isEndpoint(stream: OnlineStream): boolean;
  reset(stream: OnlineStream): void;
  getResult(stream: OnlineStream): OnlineResult;
}
export interface OfflineStream {
  acceptWaveform(wave: Waveform): void;
}
export interface OfflineRecognizer {
  createStream(): OfflineStream;
  decode(stream: OfflineStream): void;
  getResult(stream: OfflineStream): { text?: string };
}
export interface SpeechSegment {
  start: number;
  samples: Float32Array;
}
export interface Vad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  isDetected(): boolean;
  front(): SpeechSegment;
  pop(): void;
  flush(): void;
}
interface SherpaModule {
  OnlineRecognizer: new (config: unknown) => OnlineRecognizer;
  OfflineRecognizer: new (config: unknown) => OfflineRecognizer;
  Vad: new (config: unknown, bufferSizeInSeconds: number) => Vad;
}

export const MODEL_RATE_HZ = 16_000;

export function loadSherpa(): SherpaModule {
  return createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
}

export type Recognizer =
  | { mode: 'online'; recognizer: OnlineRecognizer }
  | { mode: 'offline'; recognizer: OfflineRecognizer };

/**
 * Builds the recognizer for a detected model. Hotwords need a transducer and modified beam
 * search; BPE models also need bpe.vocab to turn phrases into tokens.
 */
export function createRecognizer(sherpa: SherpaModule, data: SherpaWorkerData): Recognizer {
  const { model } = data;
  const hotwords =
    data.hotwordsFile !== undefined && model.type.endsWith('-transducer')
      ? {
          decodingMethod: 'modified_beam_search',
          maxActivePaths: 4,
          hotwordsFile: data.hotwordsFile,
          hotwordsScore: data.hotwordsScore,
        }
      : { decodingMethod: 'greedy_search' };
  const modelConfig = {
    ...model.modelConfig,
    tokens: model.tokens,
    numThreads: data.numThreads,
    provider: 'cpu',
    debug: 0,
    ...(hotwords.decodingMethod === 'modified_beam_search' && model.bpeVocab
      ? { modelingUnit: 'bpe', bpeVocab: model.bpeVocab }
      : {}),
  };
  const featConfig = { sampleRate: MODEL_RATE_HZ, featureDim: 80 };
  if (model.mode === 'online') {
    return {
      mode: 'online',
      recognizer: new sherpa.OnlineRecognizer({
        featConfig,
        modelConfig,
        ...hotwords,
        enableEndpoint: 1,
        // Contact-center turns are short: end an utterance after 0.8 s of trailing silence.
        rule1MinTrailingSilence: 2.4,
        rule2MinTrailingSilence: 0.8,
        rule3MinUtteranceLength: 20,
      }),
    };
  }
  return {
    mode: 'offline',
    recognizer: new sherpa.OfflineRecognizer({ featConfig, modelConfig, ...hotwords }),
  };
}
