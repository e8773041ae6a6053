import type { SpeechStream, SpeechStreamOptions } from '../../../ports/speech-engine.js';

/** What a worker-thread pool does for one of its streams, addressed by worker and stream id. */
export interface StreamPool {
  write(workerIndex: number, streamId: number, pcm: Int16Array): void;
  finish(workerIndex: number, streamId: number): Promise<void>;
  abort(workerIndex: number, streamId: number): void;
}

/**
 * The caller's side of a stream that a worker pool decodes. Results that arrive after the stream
 * failed, finished or was aborted are dropped, and an error is reported once: the pool's worker
 * may still answer for a stream the pipeline has already given up on (a worker crash fails its
 * streams while their last results are in flight).
 */
export class PooledStreamGuard {
  #done = false;

  constructor(private readonly options: Pick<SpeechStreamOptions, 'onResult' | 'onError'>) {}

  /** For the pool: the caller's callbacks, silenced once the stream is done. */
  readonly callbacks: Pick<SpeechStreamOptions, 'onResult' | 'onError'> = {
    onResult: (result) => {
      if (!this.#done) this.options.onResult(result);
    },
    onError: (error) => {
      if (this.#done) return;
      this.#done = true;
      this.options.onError(error);
    },
  };

  /** The stream the engine hands out, once the pool has placed it. */
  stream(pool: StreamPool, workerIndex: number, streamId: number): SpeechStream {
    return {
      write: (pcm) => {
        if (!this.#done) pool.write(workerIndex, streamId, pcm);
      },
      finish: async () => {
        if (this.#done) return;
        await pool.finish(workerIndex, streamId);
        this.#done = true;
      },
      abort: () => {
        if (this.#done) return;
        this.#done = true;
        pool.abort(workerIndex, streamId);
      },
    };
  }
}
