import type { StoredCallEvent } from '../../domain/call-event.js';

/** One Server-Sent Events message; JSON never contains a raw newline, so `data:` is one line. */
export function formatSseEvent(stored: StoredCallEvent): string {
  return `id: ${stored.id}\nevent: ${stored.event.EventType}\ndata: ${JSON.stringify(stored.event)}\n\n`;
}

/** `Last-Event-ID` header (EventSource reconnects) or `?lastEventId=` (first connect). */
export function lastEventIdFrom(
  headers: Record<string, unknown>,
  query: Record<string, unknown>,
): string | undefined {
  const header = headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header;
  const fromQuery = query.lastEventId;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}
