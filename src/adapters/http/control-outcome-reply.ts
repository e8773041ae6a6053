import type { FastifyReply } from 'fastify';
import type { ControlOutcome } from '../../domain/control-event.js';
import { httpStatusForOutcomeCode } from './error-mapping.js';

/**
 * Synchronous REST answer for a control outcome: 200 when it applied or was already so, 202
 * while held pending, and the rejection code's status (404, 409, ...) otherwise.
 */
export function sendControlOutcome(reply: FastifyReply, outcome: ControlOutcome): FastifyReply {
  switch (outcome.status) {
    case 'applied':
    case 'noop':
      return reply.code(200).send(outcome);
    case 'pending':
      return reply.code(202).send(outcome);
    case 'rejected':
      return reply
        .code(httpStatusForOutcomeCode(outcome.code))
        .send({ code: outcome.code ?? 'INTERNAL_ERROR', message: outcome.reason, outcome });
  }
}
