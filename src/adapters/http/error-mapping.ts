import type { ErrorCode } from '../../domain/errors.js';

/**
 * The one place AppError codes become HTTP statuses. Exhaustive on purpose: a new code does not
 * compile until someone decides what the API answers for it.
 */
const statusByCode: Readonly<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 500,
  CALL_NOT_FOUND: 404,
  CALL_ALREADY_EXISTS: 409,
  CALL_ENDED: 409,
  CALL_ALREADY_PROCESSING: 409,
  INVALID_TRANSITION: 409,
  CONCURRENT_UPDATE: 409,
  INVALID_CONTROL_EVENT: 400,
  CALL_OWNER_UNAVAILABLE: 503,
  HOOK_TIMEOUT: 504,
  HOOK_FAILED: 502,
  HOOK_INVALID_RESPONSE: 502,
  STORE_UNAVAILABLE: 503,
  SIP_PARSE_ERROR: 400,
  SIP_REQUEST_FAILED: 502,
  SIP_TRANSACTION_TIMEOUT: 504,
  SIPREC_BODY_INVALID: 400,
  SDP_NO_ACCEPTABLE_CODEC: 400,
  SDP_ANSWER_MISSING: 400,
  SDP_ANSWER_UNUSABLE: 400,
  AUDIO_RATE_UNSUPPORTED: 500,
  CODEC_UNAVAILABLE: 500,
  CAPACITY_EXCEEDED: 503,
  SETUP_ABANDONED: 503,
  RTP_PORTS_EXHAUSTED: 503,
  MEDIA_WORKER_FAILED: 503,
  MEDIA_WORKER_TIMEOUT: 503,
  ENGINE_UNAVAILABLE: 503,
  ENGINE_STREAM_FAILED: 502,
  ENGINE_MODEL_MISSING: 503,
  EVENT_STREAM_UNAVAILABLE: 503,
  RECORDING_NOT_FOUND: 404,
  CONTROL_EVENT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  INTERNAL_ERROR: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code];
}

/** Rejected control outcomes carry their code as a plain string; unknown ones are server faults. */
export function httpStatusForOutcomeCode(code: string | null): number {
  return code !== null && Object.hasOwn(statusByCode, code) ? statusByCode[code as ErrorCode] : 500;
}
