import type { Channel } from '../domain/call.js';

/** A stereo recording of what was processed: caller on the left, agent on the right. */
export interface RecordingWriter {
  write(channel: Channel, pcm8k: Int16Array): void;
  /** Finalises the file; resolves to its path, or undefined when nothing was recorded. */
  close(): Promise<string | undefined>;
}

export interface CallRecorder {
  open(callId: string): RecordingWriter;
  /** Path of a finished recording, if any. */
  pathFor(callId: string): Promise<string | undefined>;
}
