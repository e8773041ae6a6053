import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../../../domain/errors.js';
import type { SpeechResult } from '../../../ports/speech-engine.js';
import { spawnModuleWorker } from '../../worker-threads/spawn-module-worker.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { readySignal } from '../../worker-threads/ready-signal.js';
import { finishStream, writeStream, type WorkerSlot } from '../worker/worker-slot.js';

/** What the pool needs from a stream's owner: where results and failures go. */
export interface PooledStreamSink {
  callId: string;
  channel: string;
  onResult(result: SpeechResult): void;
  onError(error: AppError): void;
}

interface StreamEntry {
  streamId: number;
  decoderId: number;
  sink: PooledStreamSink;
  finished?: () => void;
}

interface Pending {
  resolve(): void;
  reject(error: AppError): void;
}

interface Slot extends WorkerSlot<ToWorker, StreamEntry> {
  idle: number[];
  resetting: number;
  waiters: { resolve(decoderId: number): void; reject(error: AppError): void }[];
  requests: Map<number, Pending>;
  /** Opens in progress, counted as load so simultaneous opens spread across workers. */
  opening: number;
}

export interface WorkerInfo {
  index: number;
  threadId: number;
  decoders: number;
  streams: { callId: string; channel: string }[];
}

/**
 * Worker threads holding pocketsphinx decoders. Decoders are created once and reused: after a
 * stream they are re-initialised (which resets CMN and search state) before the next stream gets
 * them. Creation and re-initialisation are serialised across the whole pool because concurrent
 * ps_init calls were seen to hang. A worker that dies fails only its own streams (retryable) and
 * is replaced.
 */
export class DecoderPool {
  readonly #argv: string[];
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #serial: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closing = false;

  constructor(options: { workers: number; argv: string[]; log: Logger }) {
    this.#argv = options.argv;
    this.#log = options.log;
    for (let i = 0; i < options.workers; i++) this.#slots.push(this.#spawn(i));
  }

  /** Waits until every worker loaded the library and holds `decodersPerWorker` ready decoders. */
  async warmUp(decodersPerWorker: number): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.start.ready));
    for (const slot of this.#slots) {
      for (let i = slot.idle.length; i < decodersPerWorker; i++)
        slot.idle.push(await this.#initDecoder(slot));
    }
  }

  async openStream(
    sink: PooledStreamSink,
    sampleRateHz: number,
  ): Promise<{ streamId: number; workerIndex: number }> {
    if (this.#closing) throw new AppError('ENGINE_UNAVAILABLE', 'speech engine is closed');
    const slot = this.#leastLoaded();
    slot.opening += 1;
    let decoderId: number;
    try {
      await slot.start.ready;
      decoderId = await this.#acquire(slot);
    } finally {
      slot.opening -= 1;
    }
    if (!slot.alive)
      throw new AppError('ENGINE_UNAVAILABLE', 'decoder worker died', {
        retryable: true,
        details: { reason: 'crash' },
      });
    const streamId = this.#nextId++;
    slot.streams.set(streamId, { streamId, decoderId, sink });
    slot.worker.postMessage({ type: 'open', streamId, decoderId, sampleRateHz });
    return { streamId, workerIndex: slot.index };
  }

  write(workerIndex: number, streamId: number, pcm: Int16Array): void {
    writeStream(this.#slots[workerIndex], streamId, pcm);
  }

  finish(workerIndex: number, streamId: number): Promise<void> {
    return finishStream(this.#slots[workerIndex], streamId);
  }

  abort(workerIndex: number, streamId: number): void {
    const slot = this.#slots[workerIndex];
    const entry = slot?.streams.get(streamId);
    if (!slot?.alive || !entry) return;
    slot.worker.postMessage({ type: 'abort', streamId });
    this.#release(slot, entry);
  }

  workers(): WorkerInfo[] {
    return this.#slots.map((slot) => ({
      index: slot.index,
      threadId: slot.worker.threadId,
      decoders: slot.idle.length + slot.resetting + slot.streams.size,
      streams: [...slot.streams.values()].map((s) => ({
        callId: s.sink.callId,
        channel: s.sink.channel,
      })),
    }));
  }

  /** Ends a worker (e.g. one stuck in native code); its streams fail as retryable and it is replaced. */
  async terminateWorker(index: number): Promise<void> {
    await this.#slots[index]?.worker.terminate();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #spawn(index: number): Slot {
    const worker = spawnModuleWorker(import.meta.url, 'decoder-worker');
    const start = readySignal<AppError>();
    const slot: Slot = {
      index,
      worker,
      start,
      alive: true,
      idle: [],
      resetting: 0,
      waiters: [],
      requests: new Map(),
      streams: new Map(),
      opening: 0,
    };
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) =>
      this.#log.error({ err: error, worker: index }, 'decoder worker crashed'),
    );
    worker.on('exit', (exitCode) => {
      start.reject(new AppError('ENGINE_UNAVAILABLE', 'decoder worker exited before it was ready'));
      this.#onExit(slot, exitCode);
    });
    return slot;
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.start.resolve();
        return;
      case 'fatal':
        slot.start.reject(new AppError(message.code as ErrorCode, message.message));
        return;
      case 'init-done':
      case 'reset-done':
        slot.requests.get(message.decoderId)?.resolve();
        slot.requests.delete(message.decoderId);
        return;
      case 'decoder-failed':
        slot.requests
          .get(message.decoderId)
          ?.reject(new AppError(message.code as ErrorCode, message.message));
        slot.requests.delete(message.decoderId);
        return;
      case 'result':
        slot.streams.get(message.streamId)?.sink.onResult(message.result);
        return;
      case 'stream-failed': {
        const entry = slot.streams.get(message.streamId);
        if (!entry) return;
        this.#release(slot, entry);
        entry.finished?.();
        entry.sink.onError(
          new AppError('ENGINE_STREAM_FAILED', 'pocketsphinx stream failed', {
            retryable: true,
            details: { reason: 'crash', message: message.message },
          }),
        );
        return;
      }
      case 'finished': {
        const entry = slot.streams.get(message.streamId);
        if (!entry) return;
        this.#release(slot, entry);
        entry.finished?.();
        return;
      }
    }
  }

  #onExit(slot: Slot, exitCode: number): void {
    slot.alive = false;
    const failure = new AppError('ENGINE_STREAM_FAILED', 'decoder worker exited', {
      retryable: true,
      details: { worker: slot.index, exitCode, reason: 'crash' },
    });
    for (const request of slot.requests.values()) request.reject(failure);
    for (const waiter of slot.waiters) waiter.reject(failure);
    const streams = [...slot.streams.values()];
    slot.requests.clear();
    slot.waiters = [];
    slot.streams.clear();
    if (this.#closing) return;
    this.#log.warn(
      { worker: slot.index, exitCode, streams: streams.length },
      'decoder worker exited; replacing it',
    );
    for (const entry of streams) {
      entry.finished?.();
      entry.sink.onError(failure);
    }
    // A worker that cannot even load the library would die again at once; leave it dead then.
    if (!slot.start.started) return;
    const replacement = this.#spawn(slot.index);
    this.#slots[slot.index] = replacement;
    replacement.start.ready.catch((error: unknown) =>
      this.#log.error(
        { err: error, worker: slot.index },
        'replacement decoder worker failed to start',
      ),
    );
  }

  #leastLoaded(): Slot {
    const live = this.#slots.filter((slot) => slot.alive);
    const candidates = live.length > 0 ? live : this.#slots;
    let best = candidates[0];
    if (!best) throw new AppError('ENGINE_UNAVAILABLE', 'no decoder workers');
    const load = (slot: Slot): number => slot.streams.size + slot.opening;
    for (const slot of candidates) {
      if (load(slot) < load(best)) best = slot;
      else if (load(slot) === load(best) && slot.idle.length > best.idle.length) best = slot;
    }
    return best;
  }

  #acquire(slot: Slot): Promise<number> {
    const idle = slot.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    // A decoder being reset is ready sooner than a new one, and keeps memory flat.
    if (slot.resetting > slot.waiters.length) {
      return new Promise((resolve, reject) => slot.waiters.push({ resolve, reject }));
    }
    return this.#initDecoder(slot);
  }

  #initDecoder(slot: Slot): Promise<number> {
    const decoderId = this.#nextId++;
    return this.#exclusive(slot, { type: 'init', decoderId, argv: this.#argv }, decoderId).then(
      () => decoderId,
    );
  }

  #release(slot: Slot, entry: StreamEntry): void {
    slot.streams.delete(entry.streamId);
    slot.resetting += 1;
    this.#exclusive(slot, { type: 'reset', decoderId: entry.decoderId }, entry.decoderId).then(
      () => {
        slot.resetting -= 1;
        const waiter = slot.waiters.shift();
        if (waiter) waiter.resolve(entry.decoderId);
        else slot.idle.push(entry.decoderId);
      },
      (error: unknown) => {
        slot.resetting -= 1;
        if (slot.alive)
          this.#log.warn({ err: error, worker: slot.index }, 'decoder reset failed; dropped it');
        const waiter = slot.waiters.shift();
        if (waiter) this.#initDecoder(slot).then(waiter.resolve, waiter.reject);
      },
    );
  }

  /** Runs one init/reset at a time across all workers. */
  #exclusive(slot: Slot, message: ToWorker, decoderId: number): Promise<void> {
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (!slot.alive) {
          reject(
            new AppError('ENGINE_UNAVAILABLE', 'decoder worker died', {
              retryable: true,
              details: { reason: 'crash' },
            }),
          );
          return;
        }
        slot.requests.set(decoderId, { resolve, reject });
        slot.worker.postMessage(message);
      });
    const result = this.#serial.then(run, run);
    this.#serial = result.catch(() => undefined);
    return result;
  }
}
