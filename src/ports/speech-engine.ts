import type { Logger } from 'pino';

/** What an engine can do, as data, so the pipeline adapts instead of branching on names. */
export interface SpeechEngineCapabilities {
  /**
   * Input rates the engine accepts, in Hz. Audio goes at its own rate when listed; otherwise the
   * pipeline resamples it to the lowest listed rate above it, else the highest below.
   */
  sampleRatesHz: readonly number[];
  partials: boolean;
  languages: readonly string[];
}

export interface SpeechResult {
  /** Stable per utterance: partials and the final of one utterance share it. */
  resultId: string;
  text: string;
  /** Milliseconds from the start of this stream's audio. */
  startMs: number;
  endMs: number;
  isPartial: boolean;
  confidence?: number;
}

export interface SpeechStreamOptions {
  callId: string;
  channel: 'CALLER' | 'AGENT';
  sampleRateHz: number;
  languageCode: string;
  log: Logger;
  onResult(result: SpeechResult): void;
  /** A failure after open; `error.retryable` tells the pipeline whether to reconnect. */
  onError(error: Error & { retryable?: boolean }): void;
}

export interface SpeechStream {
  /** Mono PCM16 at `sampleRateHz`, in order, real-time paced by the caller. */
  write(pcm: Int16Array): void;
  /** Flushes pending audio; resolves after the last final result was delivered. */
  finish(): Promise<void>;
  /** Drops the stream without waiting for results. */
  abort(): void;
}

export interface SpeechEngine {
  readonly name: string;
  readonly capabilities: SpeechEngineCapabilities;
  open(options: SpeechStreamOptions): Promise<SpeechStream>;
  close(): Promise<void>;
}
