import type { Logger } from 'pino';

export interface CallHistoryRetryOptions {
  /** Stores the events (`id, eventJson, ...`) in the call's stream; the script skips ids it holds. */
  store(callId: string, idsAndEvents: readonly string[]): Promise<unknown>;
  log: Logger;
  /** First wait after a failure; doubled on each failed round up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Events held at most (a long outage of a call's shard): beyond, the newest are not kept. */
  maxHeldEvents?: number;
}

/**
 * Events that reached the all-calls stream but not their call's own stream (the call's shard
 * refused the second step of a group): held in memory and written again, with back-off, until
 * that shard takes them. The append script skips ids a stream already holds, so a retry whose
 * earlier attempt did land (a lost reply) adds nothing twice.
 */
export class CallHistoryRetry {
  readonly #o: CallHistoryRetryOptions;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxHeldEvents: number;
  readonly #held = new Map<string, string[]>();
  #heldEvents = 0;
  #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: CallHistoryRetryOptions) {
    this.#o = options;
    this.#initialDelayMs = options.initialDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#maxHeldEvents = options.maxHeldEvents ?? 10_000;
    this.#delayMs = this.#initialDelayMs;
  }

  /** Events held now (what the cap counts). */
  get heldEvents(): number {
    return this.#heldEvents;
  }

  hold(callId: string, idsAndEvents: readonly string[]): void {
    if (this.#closed) return;
    const events = idsAndEvents.length / 2;
    if (this.#heldEvents + events > this.#maxHeldEvents) {
      this.#o.log.error(
        { callId, events },
        "call events not kept for a retry (too many held): the call's history lacks them",
      );
      return;
    }
    const held = this.#held.get(callId) ?? [];
    held.push(...idsAndEvents);
    this.#held.set(callId, held);
    this.#heldEvents += events;
    this.#arm();
  }

  /** Stops retrying; what is still held stays on the all-calls stream only. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (this.#heldEvents > 0)
      this.#o.log.warn(
        { events: this.#heldEvents, calls: this.#held.size },
        "call events still unwritten to their calls' histories at shutdown",
      );
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#running !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#retry().finally(() => {
        this.#running = undefined;
        if (this.#held.size > 0) this.#arm();
      });
    }, this.#delayMs);
    this.#timer.unref();
  }

  async #retry(): Promise<void> {
    let failed = false;
    for (const [callId, held] of [...this.#held]) {
      if (this.#closed) return;
      // What `hold` adds for this call during the write waits for the next round.
      const idsAndEvents = held.slice();
      try {
        await this.#o.store(callId, idsAndEvents);
        held.splice(0, idsAndEvents.length);
        if (held.length === 0) this.#held.delete(callId);
        this.#heldEvents -= idsAndEvents.length / 2;
        this.#o.log.info(
          { callId, events: idsAndEvents.length / 2 },
          "held call events written to the call's history",
        );
      } catch {
        failed = true;
      }
    }
    this.#delayMs = failed ? Math.min(this.#delayMs * 2, this.#maxDelayMs) : this.#initialDelayMs;
  }
}
