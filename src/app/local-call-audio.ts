import type { Channel } from '../domain/call.js';
import { silenceFrame, type AudioFrame } from '../media/audio-frame.js';
import { FrameChunker } from '../media/frame-chunker.js';
import type { CallAudio, CallAudioContext, CallAudioFactory } from '../ports/call-audio.js';
import type { CallPipeline, CallPipelineFactory } from '../ports/call-pipeline.js';
import type { CallRecorder } from '../ports/call-recorder.js';
import { RecordingFeed } from './recording-feed.js';

const QUIET_CHUNKS_BEFORE_FLUSH = 2;

export interface LocalCallAudioDeps {
  pipelines: CallPipelineFactory;
  recorder: CallRecorder;
  recordCalls: boolean;
  /** Frames are handed on in chunks this long (`audioChunkMs`); 0 (the default) hands on each as it comes. */
  chunkMs?: number;
}

/**
 * Transcription and recording of a call in the thread that decodes its audio (the main thread
 * without media workers, or one media worker).
 */
export class LocalCallAudioFactory implements CallAudioFactory {
  constructor(private readonly deps: LocalCallAudioDeps) {}

  create(context: CallAudioContext): LocalCallAudio {
    return new LocalCallAudio(this.deps, context);
  }
}

export class LocalCallAudio implements CallAudio {
  readonly #pipeline: CallPipeline;
  readonly #deps: LocalCallAudioDeps;
  readonly #context: CallAudioContext;
  #recording: RecordingFeed | undefined;
  // Per channel as two fields: a record indexed by channel makes a megamorphic keyed load.
  readonly #caller: FrameChunker | undefined;
  readonly #agent: FrameChunker | undefined;
  /**
   * Chunks the other side handed on since this side's last frame. A side that goes quiet (held,
   * its stream stopped) must not keep its last partial chunk until it resumes: the recording
   * would place that audio after the pause. Two chunks on, it goes (well inside the recording's
   * half-second skew window).
   */
  #callerQuietChunks = 0;
  #agentQuietChunks = 0;
  #flowing = false;
  #finished: Promise<string | undefined> | undefined;

  constructor(deps: LocalCallAudioDeps, context: CallAudioContext) {
    this.#deps = deps;
    this.#context = context;
    this.#pipeline = deps.pipelines.create({
      call: context.call,
      audioSampleRateHz: context.audioSampleRateHz,
      log: context.log,
      emit: context.emit,
      engineFailover: context.engineFailover,
    });
    const chunkMs = deps.chunkMs ?? 0;
    if (chunkMs > 0) {
      this.#caller = new FrameChunker(chunkMs, (frame) => {
        this.#deliver('CALLER', frame);
        this.#chunkDelivered('CALLER');
      });
      this.#agent = new FrameChunker(chunkMs, (frame) => {
        this.#deliver('AGENT', frame);
        this.#chunkDelivered('AGENT');
      });
    }
  }

  /** Whether audio is taken now: the media layer parks (or pre-rolls) packets otherwise. */
  get flowing(): boolean {
    return this.#flowing;
  }

  acceptAudio(): void {
    if (this.#finished) return;
    this.#flowing = true;
  }

  start(offsetMs: number): void {
    if (this.#finished) return;
    // Audio taken before the start is the recording's only, as it would have been unchunked.
    this.#flush();
    this.#flowing = true;
    this.#pipeline.start(offsetMs);
  }

  stopAudio(): void {
    this.#flush();
    this.#flowing = false;
  }

  pause(): Promise<number> {
    this.#flush();
    this.#flowing = false;
    return this.#pipeline.pause();
  }

  audio(channel: Channel, frame: AudioFrame): void {
    if (!this.#flowing) return;
    const chunker = channel === 'CALLER' ? this.#caller : this.#agent;
    if (chunker === undefined) {
      this.#deliver(channel, frame);
      return;
    }
    if (channel === 'CALLER') this.#callerQuietChunks = 0;
    else this.#agentQuietChunks = 0;
    chunker.push(frame);
  }

  /** A chunk of `channel` went on: the other side, if quiet that long, hands on what it holds. */
  #chunkDelivered(channel: Channel): void {
    if (channel === 'CALLER') {
      if (++this.#agentQuietChunks === QUIET_CHUNKS_BEFORE_FLUSH) this.#agent?.flush();
    } else if (++this.#callerQuietChunks === QUIET_CHUNKS_BEFORE_FLUSH) this.#caller?.flush();
  }

  /** Held audio goes on now (what follows must not overtake it). */
  #flush(): void {
    if (!this.#flowing) return;
    this.#caller?.flush();
    this.#agent?.flush();
  }

  #deliver(channel: Channel, frame: AudioFrame): void {
    this.#pipeline.audio(channel, frame);
    // Opened on the first processed audio, not at START: a START costs no file creation.
    const call = this.#context.call;
    if (!this.#recording && this.#deps.recordCalls && call.shouldRecordCall) {
      const sampleRateHz = Math.max(this.#context.audioSampleRateHz, frame.sampleRateHz);
      this.#recording = new RecordingFeed(this.#deps.recorder.open(call.callId, { sampleRateHz }));
    }
    this.#recording?.write(channel, frame);
  }

  /** In one-second frames at the recording's rate; nothing when no recording is open. */
  recordSilence(channels: readonly Channel[], durationMs: number): void {
    this.#flush();
    const recording = this.#recording;
    if (recording === undefined || !this.#flowing) return;
    const rateHz = recording.sampleRateHz;
    for (let leftMs = durationMs; leftMs > 0; leftMs -= 1000) {
      const frame = silenceFrame(rateHz, Math.min(1000, leftMs));
      for (const channel of channels) recording.write(channel, frame);
    }
  }

  finish(): Promise<string | undefined> {
    this.#flush();
    this.#flowing = false;
    this.#finished ??= (async () => {
      await this.#pipeline.finish();
      return this.#recording?.close();
    })();
    return this.#finished;
  }
}
