import type { TransferListItem, Worker } from 'node:worker_threads';
import type { AppError } from '../../../domain/errors.js';
import type { ReadySignal } from '../../worker-threads/ready-signal.js';
import { pcmForPost } from '../../worker-threads/pcm-for-post.js';

/** What the helpers below post; every speech worker protocol must include these. */
export type StreamMessage =
  { type: 'audio'; streamId: number; pcm: Int16Array } | { type: 'finish'; streamId: number };

/**
 * A worker that is only ever posted messages of protocol `M`. `postMessage` is a property, not a
 * method, so that it is checked contravariantly: a slot of protocol `M` passes for a slot of
 * `StreamMessage` only when `M` includes every stream message.
 */
export type ProtocolWorker<M> = Omit<Worker, 'postMessage'> & {
  postMessage: (message: M, transferList?: readonly TransferListItem[]) => void;
};

export interface SlotStream {
  /** Set by `finishStream`; the pool calls it once the worker is done with the stream. */
  finished?: () => void;
}

/** One worker thread of a speech pool and the streams placed on it. */
export interface WorkerSlot<M, E extends SlotStream> {
  index: number;
  worker: ProtocolWorker<M>;
  /** Settled by the worker's first message; only a started worker is replaced when it dies. */
  start: ReadySignal<AppError>;
  alive: boolean;
  streams: Map<number, E>;
}

/** Audio for a stream the slot still decodes; dropped once the stream or its worker is gone. */
export function writeStream(
  slot: WorkerSlot<StreamMessage, SlotStream> | undefined,
  streamId: number,
  pcm: Int16Array,
): void {
  if (slot?.alive && slot.streams.has(streamId)) {
    const posted = pcmForPost(pcm);
    slot.worker.postMessage({ type: 'audio', streamId, pcm: posted.pcm }, posted.transfer);
  }
}

/**
 * Asks the worker to finish the stream; settles when the pool calls the entry's `finished`
 * (finished, failed or the worker died), at once when there is nothing left to finish.
 */
export function finishStream(
  slot: WorkerSlot<StreamMessage, SlotStream> | undefined,
  streamId: number,
): Promise<void> {
  const entry = slot?.streams.get(streamId);
  if (!slot?.alive || !entry) return Promise.resolve();
  return new Promise((resolve) => {
    entry.finished = resolve;
    slot.worker.postMessage({ type: 'finish', streamId });
  });
}
