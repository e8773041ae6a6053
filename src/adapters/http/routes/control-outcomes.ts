import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../domain/errors.js';
import type { ControlEvents } from '../../../ports/control-events.js';

/** What became of a control event, by the EventId PutEvents returned (or the envelope id). */
export function controlOutcomeRoutes(deps: { controlEvents: ControlEvents }) {
  return async function controlOutcomesPlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { eventId: string } }>('/api/control-events/:eventId', async (request) => {
      const outcome = await deps.controlEvents.outcome(request.params.eventId);
      if (!outcome) throw new AppError('CONTROL_EVENT_NOT_FOUND', 'no control event with this id');
      return outcome;
    });
  };
}
