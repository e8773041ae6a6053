import { AppError } from '../../../domain/errors.js';

/**
 * Which Amazon Transcribe failures are worth a reconnect. Throttling, server-side and transport
 * failures are; a malformed request, bad credentials or a missing vocabulary will fail again.
 */
const retryableNames = new Set([
  'LimitExceededException',
  'InternalFailureException',
  'ServiceUnavailableException',
  'ConflictException',
  'ThrottlingException',
  'TimeoutError',
]);
const permanentNames = new Set([
  'BadRequestException',
  'UnrecognizedClientException',
  'AccessDeniedException',
  'InvalidSignatureException',
  'ValidationException',
]);

export function classifyTranscribeError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  const code = (error as { code?: unknown } | undefined)?.code;
  let retryable: boolean;
  if (retryableNames.has(name)) retryable = true;
  else if (permanentNames.has(name)) retryable = false;
  else if (
    typeof code === 'string' &&
    /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ERR_HTTP2)/.test(code)
  )
    retryable = true;
  else if (status !== undefined) retryable = status >= 500 || status === 429;
  else retryable = true;
  return new AppError('ENGINE_STREAM_FAILED', 'Amazon Transcribe stream failed', {
    cause: error,
    retryable,
    details: { awsError: name, httpStatusCode: status },
  });
}
