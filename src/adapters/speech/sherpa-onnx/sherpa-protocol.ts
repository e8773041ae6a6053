import type { SpeechResult } from '../../../ports/speech-engine.js';
import type { SherpaModelFiles } from './sherpa-model-files.js';

export interface SherpaWorkerData {
  model: SherpaModelFiles;
  numThreads: number;
}

export type ToSherpaWorker =
  | { type: 'open'; streamId: number; sampleRateHz: number }
  | { type: 'audio'; streamId: number; pcm: Int16Array }
  | { type: 'finish'; streamId: number }
  | { type: 'abort'; streamId: number };

export type FromSherpaWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; streamId: number; result: SpeechResult }
  | { type: 'stream-failed'; streamId: number; message: string }
  | { type: 'finished'; streamId: number };
