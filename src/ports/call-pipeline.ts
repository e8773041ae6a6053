import type { Logger } from 'pino';
import type { AddTranscriptSegmentEvent } from '../domain/call-event.js';
import type { CallData, Channel } from '../domain/call.js';
import type { EngineFailover } from '../domain/engine-failover.js';
import type { AudioFrame } from '../media/audio-frame.js';

/**
 * Per-call transcription: both channels to the speech engine while the call is PROCESSING.
 * Audio arrives as mono PCM16 frames at the rate the codec gave (8 or 16 kHz); the pipeline
 * resamples a frame only when the engine cannot take its rate, survives engine failures (reconnect with back-off, offsets continue, the gap
 * logged and counted), and turns engine results into ADD_TRANSCRIPT_SEGMENT events.
 */
export interface CallPipeline {
  /** Processing starts or resumes; segment times continue from `offsetMs` (time already processed). */
  start(offsetMs: number): void;
  /** Stops sending audio (STOP_CALL_PROCESSING); returns the ms of audio processed since `start`. */
  pause(): Promise<number>;
  audio(channel: Channel, frame: AudioFrame): void;
  /** Call end: flushes final results, then resolves. */
  finish(): Promise<void>;
}

export interface CallPipelineContext {
  call: CallData;
  /** The rate the call's codecs deliver (8000 or 16000): engine streams open at it. Default 8000. */
  audioSampleRateHz?: number;
  log: Logger;
  emit(segment: Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>): void;
  /** The fallback engine took over the call (once per call): record it and tell subscribers. */
  engineFailover?(failover: EngineFailover): void;
}

export interface CallPipelineFactory {
  create(context: CallPipelineContext): CallPipeline;
  close(): Promise<void>;
}
