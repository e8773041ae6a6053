import type { AddTranscriptSegmentEvent } from '../domain/call-event.js';
import type { CallData, Channel } from '../domain/call.js';
import type { EngineFailover } from '../domain/engine-failover.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { Logger } from 'pino';

/** What a call's audio consumer needs from the core: the call, and where its results go. */
export interface CallAudioContext {
  call: CallData;
  /** Rate the negotiated codecs deliver at most: engine streams and the recording open at it. */
  audioSampleRateHz: number;
  log: Logger;
  emit(segment: Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>): void;
  engineFailover(failover: EngineFailover): void;
}

/**
 * One call's audio consumer: transcription and recording. It runs where the audio is decoded:
 * in this thread (frames then come through `audio`), or in the media worker that owns the
 * call's sockets (frames never cross into this thread; `audio` is then never called here).
 */
export interface CallAudio {
  /** The call is PROCESSING: audio is taken (and recorded) from now; the engine gets it once started. */
  acceptAudio(): void;
  /** Processing starts or resumes: the engine gets audio; segment times continue from `offsetMs`. */
  start(offsetMs: number): void;
  /** Audio stops at once (STOP_CALL_PROCESSING or the end); the flush follows with pause/finish. */
  stopAudio(): void;
  /** Flushes the engine; resolves to the ms of audio processed since `start`. */
  pause(): Promise<number>;
  audio(channel: Channel, frame: AudioFrame): void;
  /**
   * A hold of every channel ended: its length goes to the recording as silence, so the file
   * stays on the call's timeline (no audio arrives while everything is held).
   */
  recordSilence(channels: readonly Channel[], durationMs: number): void;
  /** Final results delivered, recording closed: resolves to its path, if anything was recorded. */
  finish(): Promise<string | undefined>;
}

export interface CallAudioFactory {
  create(context: CallAudioContext): CallAudio;
}
