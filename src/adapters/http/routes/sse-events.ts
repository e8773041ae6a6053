import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallEventStream } from '../../../ports/call-event-stream.js';
import type { CallStore } from '../../../ports/call-store.js';
import { formatSseEvent, lastEventIdFrom } from '../sse-format.js';

/**
 * LCA call events as Server-Sent Events. History after `Last-Event-ID` first, then live, so a
 * client that reconnects misses nothing. A client too slow to keep up is disconnected rather
 * than buffered without bound; its EventSource reconnects from its last id.
 */
export interface SseRoutesDeps {
  eventStream: CallEventStream;
  callStore: CallStore;
  heartbeatMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 15_000;
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const RECONNECT_DELAY_MS = 2_000;

export function sseRoutes(deps: SseRoutesDeps) {
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const open = new Set<() => void>();

  return async function sseEventsPlugin(app: FastifyInstance): Promise<void> {
    // Hijacked responses are invisible to fastify's close logic, so end them here.
    app.addHook('preClose', async () => {
      for (const close of [...open]) close();
    });

    app.get('/api/events', async (request, reply) => stream(request, reply, undefined));

    // A call that is not known yet still streams: clients (the demo, an IVR integration) may
    // subscribe before the SBC's INVITE arrives, and its events appear when it does.
    app.get<{ Params: { callId: string } }>('/api/calls/:callId/events', async (request, reply) =>
      stream(request, reply, request.params.callId),
    );
  };

  function stream(
    request: FastifyRequest,
    reply: FastifyReply,
    callId: string | undefined,
  ): FastifyReply {
    const afterId = lastEventIdFrom(request.headers, request.query as Record<string, unknown>);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RECONNECT_DELAY_MS}\n: connected\n\n`);

    let closed = false;
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    // A holder, not a const: history can be delivered (and the client dropped) before subscribe returns.
    const subscription = { cancel: (): void => undefined };
    const close = () => {
      if (closed) return;
      closed = true;
      open.delete(close);
      clearInterval(heartbeat);
      subscription.cancel();
      res.end();
    };
    open.add(close);
    subscription.cancel = deps.eventStream.subscribe(
      { ...(callId ? { callId } : {}), ...(afterId ? { afterId } : {}) },
      (event) => {
        if (closed) return;
        res.write(formatSseEvent(event));
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn(
            { bufferedBytes: res.writableLength },
            'SSE client too slow; disconnecting',
          );
          close();
        }
      },
    );
    if (closed) subscription.cancel();
    res.on('close', close);
    return reply;
  }
}
