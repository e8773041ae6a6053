import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { AppError } from '../../../domain/errors.js';
import type {
  SpeechEngine,
  SpeechEngineCapabilities,
  SpeechStream,
  SpeechStreamOptions,
} from '../../../ports/speech-engine.js';
import { spawnModuleWorker } from '../worker/spawn-module-worker.js';
import { findSherpaModelFiles } from './sherpa-model-files.js';
import type { FromSherpaWorker, SherpaWorkerData, ToSherpaWorker } from './sherpa-protocol.js';

interface StreamEntry {
  options: SpeechStreamOptions;
  finished?: () => void;
}

/**
 * sherpa-onnx streaming recognition (sherpa-onnx-node) on a model the operator supplies. The
 * recognizer lives in one worker thread (ONNX Runtime parallelises inside it), so decoding never
 * runs on the event loop. Input is resampled inside sherpa-onnx to the model's 16 kHz.
 */
export class SherpaOnnxEngine implements SpeechEngine {
  readonly name = 'sherpa-onnx';
  readonly capabilities: SpeechEngineCapabilities = {
    sampleRatesHz: [8000, 16_000],
    partials: true,
    languages: ['en-US'],
  };
  readonly #worker: Worker;
  readonly #log: Logger;
  readonly #streams = new Map<number, StreamEntry>();
  #nextId = 1;
  #alive = true;

  private constructor(worker: Worker, log: Logger) {
    this.#worker = worker;
    this.#log = log;
    worker.on('message', (message: FromSherpaWorker) => this.#onMessage(message));
    worker.on('exit', (exitCode) => this.#onExit(exitCode));
  }

  static async create(
    config: Pick<Config, 'sherpaModelDir'>,
    log: Logger,
  ): Promise<SherpaOnnxEngine> {
    const model = await findSherpaModelFiles(config.sherpaModelDir);
    const data: SherpaWorkerData = { model, numThreads: Math.min(4, availableParallelism()) };
    const worker = spawnModuleWorker(import.meta.url, 'sherpa-worker', data);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromSherpaWorker): void => {
        worker.off('message', onMessage);
        if (message.type === 'ready') resolve();
        else {
          void worker.terminate();
          reject(
            new AppError('ENGINE_MODEL_MISSING', 'sherpa-onnx could not load the model', {
              details: {
                dir: config.sherpaModelDir,
                reason: message.type === 'fatal' ? message.message : message.type,
              },
            }),
          );
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new SherpaOnnxEngine(worker, log.child({ engine: 'sherpa-onnx' }));
  }

  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    if (!this.#alive) throw new AppError('ENGINE_UNAVAILABLE', 'sherpa-onnx worker is gone');
    const streamId = this.#nextId++;
    const entry: StreamEntry = { options };
    this.#streams.set(streamId, entry);
    this.#post({ type: 'open', streamId, sampleRateHz: options.sampleRateHz });
    return {
      write: (pcm) => {
        if (this.#streams.has(streamId)) this.#post({ type: 'audio', streamId, pcm });
      },
      finish: () =>
        this.#streams.has(streamId)
          ? new Promise<void>((resolve) => {
              entry.finished = resolve;
              this.#post({ type: 'finish', streamId });
            })
          : Promise.resolve(),
      abort: () => {
        if (!this.#streams.delete(streamId)) return;
        this.#post({ type: 'abort', streamId });
      },
    };
  }

  async close(): Promise<void> {
    this.#alive = false;
    await this.#worker.terminate();
  }

  #onMessage(message: FromSherpaWorker): void {
    if (message.type === 'ready' || message.type === 'fatal') return;
    const entry = this.#streams.get(message.streamId);
    if (!entry) return;
    if (message.type === 'result') entry.options.onResult(message.result);
    else if (message.type === 'finished') {
      this.#streams.delete(message.streamId);
      entry.finished?.();
    } else {
      this.#streams.delete(message.streamId);
      entry.finished?.();
      entry.options.onError(
        new AppError('ENGINE_STREAM_FAILED', 'sherpa-onnx stream failed', {
          retryable: true,
          details: { reason: message.message },
        }),
      );
    }
  }

  #onExit(exitCode: number): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#log.error({ exitCode }, 'sherpa-onnx worker exited');
    const failure = new AppError('ENGINE_UNAVAILABLE', 'sherpa-onnx worker exited', {
      retryable: true,
    });
    for (const entry of this.#streams.values()) {
      entry.finished?.();
      entry.options.onError(failure);
    }
    this.#streams.clear();
  }

  #post(message: ToSherpaWorker): void {
    this.#worker.postMessage(message);
  }
}
