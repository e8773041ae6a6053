import type { FastifyInstance } from 'fastify';
import type { StoredCallEvent } from '../../../domain/call-event.js';
import { AppError } from '../../../domain/errors.js';
import type { CallEventStream } from '../../../ports/call-event-stream.js';
import type { CallStore } from '../../../ports/call-store.js';
import { finalSegments, transcriptText } from '../transcript-format.js';

/** A call's final transcript as JSON, or as plain text lines with `?format=text` / Accept text/plain. */
export function transcriptRoutes(deps: { eventStream: CallEventStream; callStore: CallStore }) {
  const pageSize = 1000;

  return async function transcriptPlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { callId: string }; Querystring: { format?: string } }>(
      '/api/calls/:callId/transcript',
      async (request, reply) => {
        const { callId } = request.params;
        const events = await readAll(callId);
        if (events.length === 0 && !(await deps.callStore.get(callId))) {
          throw new AppError('CALL_NOT_FOUND', 'no such call');
        }
        const segments = finalSegments(events);
        if (wantsText(request.query.format, request.headers.accept)) {
          return reply.type('text/plain; charset=utf-8').send(transcriptText(segments));
        }
        return { callId, segments };
      },
    );
  };

  async function readAll(callId: string): Promise<StoredCallEvent[]> {
    const all: StoredCallEvent[] = [];
    let afterId: string | undefined;
    for (;;) {
      const page = await deps.eventStream.read({
        callId,
        limit: pageSize,
        ...(afterId ? { afterId } : {}),
      });
      all.push(...page);
      const last = page.at(-1);
      if (page.length < pageSize || last === undefined) return all;
      afterId = last.id;
    }
  }
}

function wantsText(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'text';
  return (
    accept !== undefined && accept.includes('text/plain') && !accept.includes('application/json')
  );
}
