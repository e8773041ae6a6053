import type { FromMediaWorker, Segment } from './media-worker-protocol.js';

/**
 * A media worker's messages to the main thread, with transcript segments gathered into one
 * message per `segmentBatchMs`. Every message wakes the main thread and is dispatched there on
 * its own; at hundreds of calls a worker produces hundreds of segments a second, and one
 * message each cost both threads more than the segments' own handling.
 *
 * Order is kept: any other message (a reply that ends a call, a failover) first sends the
 * segments gathered before it, so the main thread sees a call's finals before its finish.
 */
export class WorkerOutbox {
  readonly #post: (message: FromMediaWorker) => void;
  readonly #segmentBatchMs: number;
  #segments: [sessionId: number, segment: Segment][] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(post: (message: FromMediaWorker) => void, options: { segmentBatchMs: number }) {
    this.#post = post;
    this.#segmentBatchMs = options.segmentBatchMs;
  }

  segment(sessionId: number, segment: Segment): void {
    this.#segments.push([sessionId, segment]);
    if (this.#segmentBatchMs <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#segmentBatchMs).unref();
  }

  post(message: FromMediaWorker): void {
    this.flush();
    this.#post(message);
  }

  /** Sends the segments gathered so far. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#segments.length === 0) return;
    const segments = this.#segments;
    this.#segments = [];
    this.#post({ type: 'segments', segments });
  }
}
