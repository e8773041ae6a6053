import type { SpeechResult } from '../../../ports/speech-engine.js';
import type { SherpaModel } from './sherpa-model-files.js';

/** Everything a worker (or the start-up probe) needs to build the recognizer. */
export interface SherpaWorkerData {
  model: SherpaModel;
  numThreads: number;
  /** Hotwords (one phrase per line) for transducers; switches to modified beam search. */
  hotwordsFile?: string;
  hotwordsScore: number;
  segmentation: {
    /** Silero VAD model; the energy gate when absent. */
    vadModel?: string;
    maxSegmentMs: number;
    endSilenceMs: number;
    /** Re-decode the open segment this often for partials; 0 turns partials off. */
    partialIntervalMs: number;
  };
}

export type ToSherpaWorker =
  | { type: 'open'; streamId: number; sampleRateHz: number }
  | { type: 'audio'; streamId: number; pcm: Int16Array }
  | { type: 'finish'; streamId: number }
  | { type: 'abort'; streamId: number }
  /** Ends the worker between two messages, never inside native code (see the pool). */
  | { type: 'exit'; exitCode: number };

export type FromSherpaWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; streamId: number; result: SpeechResult }
  | { type: 'stream-failed'; streamId: number; message: string }
  | { type: 'finished'; streamId: number };
