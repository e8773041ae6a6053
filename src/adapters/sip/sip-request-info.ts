import { AppError } from '../../domain/errors.js';
import { parseCSeq, parseVia, tagOf, type CSeq, type Via } from './sip-header-values.js';
import { headerLines, headerList, headerValue, type SipRequest } from './sip-message.js';

/** The fields every request must carry (RFC 3261 §8.1.1), already parsed. */
export interface RequestInfo {
  callId: string;
  cseq: CSeq;
  topVia: Via;
  from: string;
  to: string;
  fromTag: string | undefined;
  toTag: string | undefined;
  /**
   * The CSeq names another method (some SBCs send `CSeq: 2 INVITE` on a BYE). Not refused here:
   * inside a dialog it is tolerated, outside one the UA answers 400.
   */
  cseqMethodMismatch: boolean;
}

/** The top Via alone, or undefined: without it a request cannot be answered at all. */
export function topViaOf(request: SipRequest): Via | undefined {
  const first = headerList(request, 'via')[0];
  if (first === undefined) return undefined;
  try {
    return parseVia(first);
  } catch {
    return undefined;
  }
}

/** Throws SIP_PARSE_ERROR (→ 400) when a mandatory header is missing or malformed. */
export function requestInfo(request: SipRequest): RequestInfo {
  const topVia = topViaOf(request);
  if (topVia === undefined) throw new AppError('SIP_PARSE_ERROR', 'missing or invalid Via');
  const callId = headerValue(request, 'call-id');
  const cseqValue = headerValue(request, 'cseq');
  const from = headerValue(request, 'from');
  const to = headerValue(request, 'to');
  if (callId === undefined || callId === '')
    throw new AppError('SIP_PARSE_ERROR', 'missing Call-ID');
  if (cseqValue === undefined) throw new AppError('SIP_PARSE_ERROR', 'missing CSeq');
  if (from === undefined || to === undefined)
    throw new AppError('SIP_PARSE_ERROR', 'missing From or To');
  if (headerLines(request, 'call-id').length > 1 || headerLines(request, 'cseq').length > 1) {
    throw new AppError('SIP_PARSE_ERROR', 'repeated Call-ID or CSeq');
  }
  const cseq = parseCSeq(cseqValue);
  return {
    callId,
    cseq,
    topVia,
    from,
    to,
    fromTag: tagOf(from),
    toTag: tagOf(to),
    cseqMethodMismatch: cseq.method.toUpperCase() !== request.method.toUpperCase(),
  };
}
