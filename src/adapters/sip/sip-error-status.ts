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
    case 'MEDIA_WORKER_FAILED':
    case 'MEDIA_WORKER_TIMEOUT':
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

/**
 * Headers that explain a refusal. A 488 names what callscribe accepts (RFC 3261 §20.43, warn-code
 * 305 "Incompatible media format"), so the SBC's administrator sees the fix in a trace.
 */
export function headersForError(error: unknown): { name: string; value: string }[] {
  if (!isAppError(error) || error.code !== 'SDP_NO_ACCEPTABLE_CODEC') return [];
  const warning = error.details.warning;
  if (typeof warning === 'string')
    return [{ name: 'Warning', value: `305 callscribe "${warning.replace(/["\\]/g, '')}"` }];
  const accepts = error.details.accepts;
  if (typeof accepts !== 'string') return [];
  const text = `Incompatible media format; callscribe accepts ${accepts}`.replace(/["\\]/g, '');
  return [{ name: 'Warning', value: `305 callscribe "${text}"` }];
}
