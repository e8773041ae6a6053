/**
 * Every failure that crosses a module boundary carries a stable code. Edges (HTTP, SIP, PutEvents,
 * the CLI) translate codes into their own wire shapes; nothing inside the core knows about them.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CALL_NOT_FOUND'
  | 'CALL_ALREADY_EXISTS'
  | 'CALL_ENDED'
  | 'CALL_ALREADY_PROCESSING'
  | 'INVALID_TRANSITION'
  | 'CONCURRENT_UPDATE'
  | 'INVALID_CONTROL_EVENT'
  | 'CALL_OWNER_UNAVAILABLE'
  | 'HOOK_TIMEOUT'
  | 'HOOK_FAILED'
  | 'HOOK_INVALID_RESPONSE'
  | 'STORE_UNAVAILABLE'
  | 'SIP_PARSE_ERROR'
  | 'SIP_REQUEST_FAILED'
  | 'SIP_TRANSACTION_TIMEOUT'
  | 'SIPREC_BODY_INVALID'
  | 'SDP_NO_ACCEPTABLE_CODEC'
  | 'SDP_ANSWER_MISSING'
  | 'SDP_ANSWER_UNUSABLE'
  | 'AUDIO_RATE_UNSUPPORTED'
  | 'CODEC_UNAVAILABLE'
  | 'CAPACITY_EXCEEDED'
  | 'SETUP_ABANDONED'
  | 'RTP_PORTS_EXHAUSTED'
  | 'MEDIA_WORKER_FAILED'
  | 'MEDIA_WORKER_TIMEOUT'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_STREAM_FAILED'
  | 'ENGINE_MODEL_MISSING'
  | 'EVENT_STREAM_UNAVAILABLE'
  | 'RECORDING_NOT_FOUND'
  | 'CONTROL_EVENT_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'INTERNAL_ERROR';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Wraps anything thrown into an AppError with the given fallback code, keeping the cause. */
export function toAppError(value: unknown, fallback: ErrorCode): AppError {
  if (value instanceof AppError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new AppError(fallback, message, { cause: value });
}
