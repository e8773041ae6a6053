import { readSse } from '../../../src/cli/sse-client.js';
import type { CallEvent, StoredCallEvent } from '../../../src/domain/call-event.js';

/** A call's SSE feed as a browser would read it: history first, then live, until closed. */
export class EventFeed {
  readonly events: StoredCallEvent[] = [];
  readonly #abort = new AbortController();
  readonly #reading: Promise<unknown>;
  #failure: unknown;

  constructor(url: string) {
    this.#reading = readSse(url, {
      signal: this.#abort.signal,
      onMessage: (message) => {
        if (message.id === undefined) return;
        this.events.push({ id: message.id, event: JSON.parse(message.data) as CallEvent });
      },
    }).catch((error: unknown) => {
      this.#failure = error;
    });
  }

  get types(): string[] {
    return this.events.map((e) => e.event.EventType);
  }

  async waitFor(
    match: (event: CallEvent) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<StoredCallEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => match(e.event));
      if (found) return found;
      if (this.#failure !== undefined)
        throw new Error(`event feed failed waiting for ${what}: ${String(this.#failure)}`);
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; the feed had: ${this.types.join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reading;
  }
}
