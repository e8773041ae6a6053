import type { Logger } from 'pino';
import { AppError } from '../../../domain/errors.js';
import type { SpeechStreamOptions } from '../../../ports/speech-engine.js';
import { spawnModuleWorker } from '../../worker-threads/spawn-module-worker.js';
import type { FromSherpaWorker, SherpaWorkerData, ToSherpaWorker } from './sherpa-protocol.js';
import { readySignal } from '../../worker-threads/ready-signal.js';
import { finishStream, writeStream, type WorkerSlot } from '../worker/worker-slot.js';

const STOP_TIMEOUT_MS = 10_000;

interface StreamEntry {
  options: SpeechStreamOptions;
  finished?: () => void;
}

type Slot = WorkerSlot<ToSherpaWorker, StreamEntry>;

export interface SherpaWorkerInfo {
  index: number;
  threadId: number;
  streams: { callId: string; channel: string }[];
}

/**
 * Worker threads each holding the model once and decoding many streams; a stream is placed on
 * the least loaded live worker. A worker that dies fails only its own streams (retryable, so the
 * pipeline reopens them on another worker or the fallback engine) and is replaced.
 */
export class SherpaWorkerPool {
  readonly #data: SherpaWorkerData;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closing = false;

  constructor(workers: number, data: SherpaWorkerData, log: Logger) {
    this.#data = data;
    this.#log = log;
    for (let i = 0; i < workers; i++) this.#slots.push(this.#spawn(i));
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((slot) => slot.start.ready)).then(() => undefined);
  }

  async open(options: SpeechStreamOptions): Promise<{ streamId: number; slot: number }> {
    if (this.#closing) throw new AppError('ENGINE_UNAVAILABLE', 'speech engine is closed');
    const live = this.#slots.filter((s) => s.alive);
    const slot = live.reduce<Slot | undefined>(
      (best, s) => (best === undefined || s.streams.size < best.streams.size ? s : best),
      undefined,
    );
    if (!slot)
      throw new AppError('ENGINE_UNAVAILABLE', 'no sherpa-onnx worker is running', {
        retryable: true,
      });
    const streamId = this.#nextId++;
    slot.streams.set(streamId, { options });
    await slot.start.ready;
    slot.worker.postMessage({ type: 'open', streamId, sampleRateHz: options.sampleRateHz });
    return { streamId, slot: slot.index };
  }

  write(slotIndex: number, streamId: number, pcm: Int16Array): void {
    writeStream(this.#slots[slotIndex], streamId, pcm);
  }

  finish(slotIndex: number, streamId: number): Promise<void> {
    return finishStream(this.#slots[slotIndex], streamId);
  }

  abort(slotIndex: number, streamId: number): void {
    const slot = this.#slots[slotIndex];
    if (!slot?.streams.delete(streamId)) return;
    if (slot.alive) slot.worker.postMessage({ type: 'abort', streamId });
  }

  workers(): SherpaWorkerInfo[] {
    return this.#slots.map((slot) => ({
      index: slot.index,
      threadId: slot.worker.threadId,
      streams: [...slot.streams.values()].map((s) => ({
        callId: s.options.callId,
        channel: s.options.channel,
      })),
    }));
  }

  /**
   * Ends a worker as a crash would (exit code 1), for operators and tests. It is asked to exit
   * between two messages: terminating a thread while sherpa-onnx runs native code can make the
   * addon throw a C++ exception nobody catches, which aborts the whole process.
   */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.#slots[index];
    if (slot) await this.#stop(slot, 1);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => this.#stop(slot, 0)));
  }

  async #stop(slot: Slot, exitCode: number): Promise<void> {
    if (!slot.alive) return;
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    slot.worker.postMessage({ type: 'exit', exitCode });
    // A worker stuck in a decode never reads the message; then there is no clean way out.
    const timer = setTimeout(() => void slot.worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #spawn(index: number): Slot {
    const worker = spawnModuleWorker(import.meta.url, 'sherpa-worker', this.#data);
    const start = readySignal<AppError>();
    const slot: Slot = {
      index,
      worker,
      start,
      alive: true,
      streams: new Map(),
    };
    worker.on('message', (message: FromSherpaWorker) => {
      if (message.type === 'ready') {
        start.resolve();
      } else if (message.type === 'fatal') {
        start.reject(
          new AppError(
            'ENGINE_MODEL_MISSING',
            `sherpa-onnx could not load the model: ${message.message}`,
          ),
        );
      } else this.#onStreamMessage(slot, message);
    });
    worker.on('error', (error) =>
      this.#log.error({ err: error, worker: index }, 'sherpa-onnx worker crashed'),
    );
    worker.on('exit', (exitCode) => {
      start.reject(
        new AppError('ENGINE_UNAVAILABLE', 'sherpa-onnx worker exited before it was ready'),
      );
      this.#onExit(slot, exitCode);
    });
    return slot;
  }

  #onStreamMessage(
    slot: Slot,
    message: Exclude<FromSherpaWorker, { type: 'ready' | 'fatal' }>,
  ): void {
    const entry = slot.streams.get(message.streamId);
    if (!entry) return;
    if (message.type === 'result') {
      entry.options.onResult(message.result);
      return;
    }
    slot.streams.delete(message.streamId);
    entry.finished?.();
    if (message.type === 'stream-failed') {
      entry.options.onError(
        new AppError('ENGINE_STREAM_FAILED', 'sherpa-onnx stream failed', {
          retryable: true,
          details: { reason: 'crash', message: message.message },
        }),
      );
    }
  }

  #onExit(slot: Slot, exitCode: number): void {
    slot.alive = false;
    const streams = [...slot.streams.values()];
    slot.streams.clear();
    if (this.#closing) return;
    this.#log.warn(
      { worker: slot.index, exitCode, streams: streams.length },
      'sherpa-onnx worker exited; replacing it',
    );
    const failure = new AppError('ENGINE_STREAM_FAILED', 'sherpa-onnx worker exited', {
      retryable: true,
      details: { worker: slot.index, exitCode, reason: 'crash' },
    });
    for (const entry of streams) {
      entry.finished?.();
      entry.options.onError(failure);
    }
    if (!slot.start.started) return;
    const replacement = this.#spawn(slot.index);
    this.#slots[slot.index] = replacement;
    replacement.start.ready.catch((error: unknown) =>
      this.#log.error(
        { err: error, worker: slot.index },
        'replacement sherpa-onnx worker failed to start',
      ),
    );
  }
}
