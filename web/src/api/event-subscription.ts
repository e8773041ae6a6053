import type { CallEvent, StoredCallEvent } from './types.js';

const eventTypes: readonly CallEvent['EventType'][] = [
  'CALL_STATE',
  'START',
  'ADD_TRANSCRIPT_SEGMENT',
  'UPDATE_AGENT',
  'END',
  'ADD_S3_RECORDING_URL',
];

export interface EventSubscriptionOptions {
  url: string;
  onEvent(event: StoredCallEvent): void;
  /** The stream closed for good (EventSource gives no status, so the caller probes for 401). */
  onClosed(): void;
  createEventSource?: (url: string) => EventSource;
}

/**
 * Follows an SSE stream of call events. EventSource itself reconnects after network errors and
 * resends Last-Event-ID, so history is never replayed twice; only a refused connection (e.g.
 * 401) leaves it CLOSED, which is reported once.
 */
export function subscribeToEvents(options: EventSubscriptionOptions): () => void {
  const source = (options.createEventSource ?? ((url) => new EventSource(url)))(options.url);
  const onMessage = (message: MessageEvent<string>): void => {
    let event: CallEvent;
    try {
      event = JSON.parse(message.data) as CallEvent;
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || typeof event.CallId !== 'string') return;
    if (typeof event.EventType !== 'string')
      (event as { EventType: string }).EventType = message.type;
    options.onEvent({ id: message.lastEventId, event });
  };
  for (const type of eventTypes) source.addEventListener(type, onMessage);
  source.addEventListener('message', onMessage);
  let closedReported = false;
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && !closedReported) {
      closedReported = true;
      options.onClosed();
    }
  };
  return () => source.close();
}
