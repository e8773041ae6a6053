import { isAppError } from '../../domain/errors.js';

/** How an AppError from the SIPREC/RTP layers is answered on the wire. */
export function statusForError(error: unknown): number {
  if (!isAppError(error)) return 500;
  switch (error.code) {
    case 'SIPREC_BODY_INVALID': {
      const status = error.details.status;
      return status === 415 ? 415 : 400;
    }
    case 'SDP_NO_ACCEPTABLE_CODEC':
      return 488;
    case 'SIP_PARSE_ERROR':
      return 400;
    case 'RTP_PORTS_EXHAUSTED':
    case 'CAPACITY_EXCEEDED':
    case 'STORE_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** Refusals the SBC should see as "try another recorder" rather than a silent 200. */
export function isOverloadCode(code: string): boolean {
  return (
    code === 'CAPACITY_EXCEEDED' || code === 'STORE_UNAVAILABLE' || code === 'RTP_PORTS_EXHAUSTED'
  );
}
