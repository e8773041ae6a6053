import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { CONTROL_EVENT_SOURCE, isControlEventType } from '../../../domain/control-event.js';
import { AppError } from '../../../domain/errors.js';
import type { ControlEvents } from '../../../ports/control-events.js';
import { controlDetail } from '../put-events-request.js';

/**
 * Target for an EventBridge rule with an API destination: the rule delivers the whole event
 * envelope. EventBridge retries deliveries with the same `id`, so a redelivery answers with the
 * outcome already recorded instead of applying the event twice.
 */
export function eventBridgeTargetRoutes(deps: { controlEvents: ControlEvents }) {
  return async function eventBridgeTargetPlugin(app: FastifyInstance): Promise<void> {
    app.post('/api/eventbridge', async (request, reply) => {
      const envelope = parseEnvelope(request.body);
      if (envelope.source !== CONTROL_EVENT_SOURCE || !isControlEventType(envelope.detailType)) {
        return reply.code(202).send({ eventId: envelope.id, status: 'ignored' });
      }
      const detail = controlDetail(envelope.detailType, envelope.detail);
      if (!detail.ok) throw new AppError('INVALID_CONTROL_EVENT', detail.error);
      const known = await deps.controlEvents.outcome(envelope.id);
      if (known) return reply.code(202).send(known);
      const outcome = await deps.controlEvents.submit(
        {
          type: envelope.detailType,
          detail: detail.value,
          ingress: 'eventbridge-target',
          eventId: envelope.id,
        },
        { holdIfUnknown: true },
      );
      return reply.code(202).send(outcome);
    });
  };
}

interface Envelope {
  id: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

function parseEnvelope(body: unknown): Envelope {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError(
      'INVALID_CONTROL_EVENT',
      'body must be an EventBridge event envelope (a JSON object)',
    );
  }
  const input = body as Record<string, unknown>;
  const id = input.id ?? randomUUID();
  if (typeof id !== 'string' || id === '')
    throw new AppError('INVALID_CONTROL_EVENT', 'id must be a non-empty string');
  const source = input.source;
  const detailType = input['detail-type'];
  if (typeof source !== 'string' || source === '') {
    throw new AppError('INVALID_CONTROL_EVENT', 'source is required and must be a string');
  }
  if (typeof detailType !== 'string' || detailType === '') {
    throw new AppError('INVALID_CONTROL_EVENT', 'detail-type is required and must be a string');
  }
  const detail = input.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new AppError('INVALID_CONTROL_EVENT', 'detail is required and must be a JSON object');
  }
  return { id, source, detailType, detail: detail as Record<string, unknown> };
}
