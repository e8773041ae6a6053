import type { CallEvent, StoredCallEvent } from '../domain/call-event.js';

export interface CallEventQuery {
  /** Only this call's events; all calls when absent. */
  callId?: string;
  /** Only events after this id (SSE Last-Event-ID). */
  afterId?: string;
  limit?: number;
}

/**
 * The outgoing stream of LCA call events. `append` is durable before it resolves, and only
 * then fanned out, so a subscriber that reconnects with its last id misses nothing.
 */
export interface CallEventStream {
  append(event: CallEvent): Promise<StoredCallEvent>;
  read(query: CallEventQuery): Promise<StoredCallEvent[]>;
  /** History after `afterId` first, then live events, in order, without gaps or duplicates. */
  subscribe(
    query: Omit<CallEventQuery, 'limit'>,
    onEvent: (event: StoredCallEvent) => void,
  ): () => void;
  close(): Promise<void>;
}
