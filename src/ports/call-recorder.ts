import type { Channel } from '../domain/call.js';
import type { AudioFrame } from '../media/audio-frame.js';

/**
 * A stereo recording of what was processed: caller on the left, agent on the right, at one
 * sample rate chosen when it opens. Frames must come at that rate (the caller resamples).
 */
export interface RecordingWriter {
  readonly sampleRateHz: number;
  write(channel: Channel, frame: AudioFrame): void;
  /** Finalises the file; resolves to its path, or undefined when nothing was recorded. */
  close(): Promise<string | undefined>;
}

/** A recording a crash interrupted, finalised at start. */
export interface RecoveredRecording {
  callId: string;
  path: string;
}

export interface CallRecorder {
  open(callId: string, options: { sampleRateHz: number }): RecordingWriter;
  /** Path of a finished recording, if any. */
  pathFor(callId: string): Promise<string | undefined>;
  /** Finalises the recordings an earlier run left unfinished; called at start, before any call. */
  recoverInterrupted(): Promise<RecoveredRecording[]>;
}
