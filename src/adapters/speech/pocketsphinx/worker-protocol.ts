import type { SpeechResult } from '../../../ports/speech-engine.js';

/** Messages between the engine (main thread) and a decoder worker thread. */
export type ToWorker =
  | { type: 'init'; decoderId: number; argv: string[] }
  | { type: 'reset'; decoderId: number }
  | { type: 'open'; streamId: number; decoderId: number; sampleRateHz: number }
  | { type: 'audio'; streamId: number; pcm: Int16Array }
  | { type: 'finish'; streamId: number }
  | { type: 'abort'; streamId: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; code: string; message: string }
  | { type: 'init-done'; decoderId: number }
  | { type: 'reset-done'; decoderId: number }
  | { type: 'decoder-failed'; decoderId: number; code: string; message: string }
  | { type: 'result'; streamId: number; result: SpeechResult }
  | { type: 'stream-failed'; streamId: number; message: string }
  | { type: 'finished'; streamId: number };
