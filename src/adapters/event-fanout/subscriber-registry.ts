import type { Logger } from 'pino';
import type { StoredCallEvent } from '../../domain/call-event.js';

/** Reads up to `limit` stored events after `afterId`, for one call or all calls. */
export type HistoryPageReader = (
  callId: string | undefined,
  afterId: number,
  limit: number,
) => StoredCallEvent[] | Promise<StoredCallEvent[]>;

interface Subscriber {
  callId: string | undefined;
  lastId: number;
  catchingUp: boolean;
  /** Live events that arrived while history was still being read. */
  pending: StoredCallEvent[];
  active: boolean;
  onEvent: (event: StoredCallEvent) => void;
}

/**
 * In-process fan-out shared by the event-stream adapters: a new subscriber reads history in
 * pages while live events are buffered, then switches to live delivery. Ids are decimal and
 * increase, so an event seen both in history and live is delivered once, and none falls between
 * the two.
 */
export class SubscriberRegistry {
  readonly #subscribers = new Set<Subscriber>();

  constructor(
    private readonly deps: { log: Logger; pageSize: number; readPage: HistoryPageReader },
  ) {}

  /**
   * Registers a subscriber; history starts once `ready` resolves (adapters use it to fix their
   * live cursor first) and is delivered after this call returns.
   */
  add(
    query: { callId?: string; afterId: number },
    onEvent: (event: StoredCallEvent) => void,
    ready: Promise<unknown> = Promise.resolve(),
  ): () => void {
    const subscriber: Subscriber = {
      callId: query.callId,
      lastId: query.afterId,
      catchingUp: true,
      pending: [],
      active: true,
      onEvent,
    };
    this.#subscribers.add(subscriber);
    ready.then(
      () => setImmediate(() => void this.#catchUp(subscriber)),
      (error: unknown) => this.#drop(subscriber, error),
    );
    return () => this.#remove(subscriber);
  }

  /** A live event, already durable: buffered for subscribers still reading history. */
  publish(stored: StoredCallEvent): void {
    for (const subscriber of this.#subscribers) {
      if (subscriber.callId !== undefined && subscriber.callId !== stored.event.CallId) continue;
      if (subscriber.catchingUp) subscriber.pending.push(stored);
      else this.#deliver(subscriber, stored);
    }
  }

  clear(): void {
    for (const subscriber of [...this.#subscribers]) this.#remove(subscriber);
  }

  get size(): number {
    return this.#subscribers.size;
  }

  async #catchUp(subscriber: Subscriber): Promise<void> {
    while (subscriber.active) {
      let page: StoredCallEvent[];
      try {
        page = await this.deps.readPage(subscriber.callId, subscriber.lastId, this.deps.pageSize);
      } catch (error) {
        this.#drop(subscriber, error);
        return;
      }
      for (const stored of page) this.#deliver(subscriber, stored);
      if (page.length < this.deps.pageSize) break;
      // Long histories yield to the event loop between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const pending = subscriber.pending;
    subscriber.pending = [];
    subscriber.catchingUp = false;
    for (const stored of pending) this.#deliver(subscriber, stored);
  }

  #deliver(subscriber: Subscriber, stored: StoredCallEvent): void {
    const id = Number(stored.id);
    if (!subscriber.active || id <= subscriber.lastId) return;
    subscriber.lastId = id;
    try {
      subscriber.onEvent(stored);
    } catch (error) {
      // One broken subscriber (e.g. a closed SSE socket) must not stop delivery to the others.
      this.deps.log.warn({ err: error, eventId: stored.id }, 'call event subscriber threw');
    }
  }

  #drop(subscriber: Subscriber, error: unknown): void {
    if (!subscriber.active) return;
    this.deps.log.error(
      { err: error, callId: subscriber.callId },
      'event subscription stopped: history read failed',
    );
    this.#remove(subscriber);
  }

  #remove(subscriber: Subscriber): void {
    subscriber.active = false;
    subscriber.pending = [];
    this.#subscribers.delete(subscriber);
  }
}
