import { AppError, type ErrorCode } from '../../domain/errors.js';

/**
 * Turns an ioredis failure into the port's error. Connection trouble (refused, reset, the
 * offline queue giving up after its retries, a Cluster shard down or its slots moving) is
 * retryable; a script or data error is not.
 */
export function redisFailure(error: unknown, code: ErrorCode, message: string): AppError {
  if (error instanceof AppError) return error;
  const name = error instanceof Error ? error.name : undefined;
  const text = error instanceof Error ? error.message : String(error);
  const retryable =
    name === 'MaxRetriesPerRequestError' ||
    /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|LOADING|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache/.test(
      text,
    );
  return new AppError(code, message, { cause: error, retryable, details: { redisError: text } });
}
