import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../domain/errors.js';
import { httpStatusFor } from './error-mapping.js';

/** JSON error body of the callscribe REST API: `{code, message, ...extra}`. */
export function sendAppError(
  reply: FastifyReply,
  error: AppError,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
  return reply
    .code(httpStatusFor(error.code))
    .send({ code: error.code, message: error.message, ...details, ...extra });
}

/** Error handler for /api/*: AppErrors keep their code, fastify's own 4xx become INVALID_REQUEST. */
export function apiErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (isAppError(error)) return sendAppError(reply, error);
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return reply.code(statusCode).send({ code: 'INVALID_REQUEST', message: error.message });
  }
  request.log.error({ err: error }, 'request failed');
  return sendAppError(reply, new AppError('INTERNAL_ERROR', 'internal error'));
}
