import type { EngineFailureReason } from '../../../domain/engine-failover.js';
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
    details: {
      awsError: name,
      httpStatusCode: status,
      reason: failureReason(name, code, status, error instanceof Error ? error.message : ''),
    },
  });
}

const quotaNames = new Set(['LimitExceededException', 'ThrottlingException']);
const credentialNames = new Set([
  'UnrecognizedClientException',
  'AccessDeniedException',
  'InvalidSignatureException',
  'CredentialsProviderError',
  'ExpiredTokenException',
]);

/** The engine-neutral reason the failover policy and the failover metric use. */
function failureReason(
  name: string,
  code: unknown,
  status: number | undefined,
  message: string,
): EngineFailureReason {
  if (quotaNames.has(name) || status === 429) return 'quota';
  if (credentialNames.has(name) || status === 401 || status === 403) return 'credentials';
  // The SDK's HTTP/2 handler reports a refused or dropped connection only by this message.
  if (/HTTP\/2 stream is abnormally aborted|ECONNREFUSED|socket hang up/.test(message))
    return 'connection';
  if (
    name === 'TimeoutError' ||
    (typeof code === 'string' &&
      /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ERR_HTTP2)/.test(code))
  )
    return 'connection';
  return 'other';
}
