import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { CallEventStream } from '../../../ports/call-event-stream.js';
import type { CallStore } from '../../../ports/call-store.js';
import { lastEventIdFrom } from '../sse-format.js';

/**
 * The same stream as SSE over a WebSocket, one `{id, event}` JSON message per event. Calls not
 * known yet stream once they have events; slow clients close with 1013 and reconnect with their last id.
 */
export interface WsRoutesDeps {
  eventStream: CallEventStream;
  callStore: CallStore;
  pingIntervalMs?: number;
}

const DEFAULT_PING_INTERVAL_MS = 15_000;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const WS_CLOSE_TRY_AGAIN_LATER = 1013;

export function wsRoutes(deps: WsRoutesDeps) {
  const pingIntervalMs = deps.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;

  return async function wsEventsPlugin(app: FastifyInstance): Promise<void> {
    app.get('/api/ws', { websocket: true }, (socket: WebSocket, request) => {
      const query = request.query as Record<string, unknown>;
      const callId =
        typeof query.callId === 'string' && query.callId !== '' ? query.callId : undefined;
      const afterId = lastEventIdFrom(request.headers, query);
      let unsubscribe: (() => void) | undefined;
      let closed = false;
      const ping = setInterval(() => socket.ping(), pingIntervalMs);
      socket.on('close', () => {
        closed = true;
        clearInterval(ping);
        unsubscribe?.();
      });
      socket.on('error', (error) => request.log.warn({ err: error }, 'WebSocket error'));

      const start = async () => {
        if (closed) return;
        unsubscribe = deps.eventStream.subscribe(
          { ...(callId ? { callId } : {}), ...(afterId ? { afterId } : {}) },
          (event) => {
            if (socket.readyState !== socket.OPEN) return;
            socket.send(JSON.stringify({ id: event.id, event: event.event }));
            if (socket.bufferedAmount > MAX_BUFFERED_BYTES)
              socket.close(WS_CLOSE_TRY_AGAIN_LATER, 'client too slow');
          },
        );
      };
      start().catch((error: unknown) => {
        request.log.error({ err: error }, 'WebSocket event stream failed');
        socket.close(1011, 'internal error');
      });
    });
  };
}
