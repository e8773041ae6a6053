import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { sendAppError } from './api-errors.js';

/**
 * `Authorization: Bearer <apiToken>`, or `?access_token=` because EventSource and browser
 * WebSockets cannot set headers. Hashing both sides first makes the comparison constant-time
 * whatever the lengths.
 */
export function createBearerAuth(apiToken: string | undefined) {
  const expected = apiToken === undefined ? undefined : digest(apiToken);
  return async function bearerAuth(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    if (expected === undefined) return undefined;
    const presented = presentedToken(request);
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return undefined;
    reply.header('www-authenticate', 'Bearer realm="callscribe"');
    return sendAppError(
      reply,
      new AppError(
        'UNAUTHORIZED',
        presented === undefined ? 'a bearer token is required' : 'the bearer token is not valid',
      ),
    );
  };
}

function presentedToken(request: FastifyRequest): string | undefined {
  const fromHeader = /^Bearer\s+(.+)$/i.exec(request.headers.authorization?.trim() ?? '')?.[1];
  if (fromHeader !== undefined) return fromHeader;
  // A proxy may add its own (e.g. Basic) Authorization; the query token still counts then.
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
