import type { CallEvent, StoredCallEvent } from '../domain/call-event.js';

export interface CallEventQuery {
  /** Only this call's events; all calls when absent. */
  callId?: string;
  /** Only events after this id (SSE Last-Event-ID). */
  afterId?: string;
  limit?: number;
}

/** A call whose own history may lack events that reached only the all-calls feed. */
export interface HistoryRepairTarget {
  callId: string;
  /** When the call began (`callStreamingStartTime`): none of its events is older. */
  startedAtMs: number;
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
  /**
   * For stores whose append writes the all-calls feed and each call's history in two steps
   * (Redis), which a node dying in between leaves half done: copies into each listed call's
   * history the events of that call found only on the all-calls feed, once each, in id order,
   * and returns how many it copied. Stores that append in one step (SQLite) leave it out.
   */
  repairHistories?(calls: readonly HistoryRepairTarget[]): Promise<number>;
  close(): Promise<void>;
}
