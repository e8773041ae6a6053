import type { SipHeader, SipRequest, SipResponse } from './sip-message.js';

const reasons: Readonly<Record<number, string>> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  415: 'Unsupported Media Type',
  420: 'Bad Extension',
  422: 'Session Interval Too Small',
  481: 'Call/Transaction Does Not Exist',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  513: 'Message Too Large',
};

export function reasonPhrase(status: number): string {
  return reasons[status] ?? (status < 300 ? 'OK' : 'Error');
}

export interface ResponseOptions {
  reason?: string;
  /** Added to To when the request's To has no tag yet (dialog-creating responses). */
  toTag?: string;
  headers?: SipHeader[];
  body?: Buffer;
  contentType?: string;
}

/**
 * A response echoing Via (every line, in order), From, To, Call-ID and CSeq, as RFC 3261 §8.2.6.2
 * requires. Headers the request lacks are simply omitted; the request was already validated
 * enough to be answerable.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const header of request.headers) {
    const lower = header.name.toLowerCase();
    if (lower === 'via' || lower === 'from' || lower === 'call-id' || lower === 'cseq') {
      headers.push({ name: header.name, value: header.value });
    } else if (lower === 'to') {
      const needsTag =
        options.toTag !== undefined && !/;\s*tag=/i.test(header.value) && status > 100;
      headers.push({
        name: 'To',
        value: needsTag ? `${header.value};tag=${options.toTag}` : header.value,
      });
    }
  }
  headers.push(...(options.headers ?? []));
  const body = options.body ?? Buffer.alloc(0);
  if (body.length > 0 && options.contentType !== undefined) {
    headers.push({ name: 'Content-Type', value: options.contentType });
  }
  return {
    kind: 'response',
    status,
    reason: options.reason ?? reasonPhrase(status),
    headers,
    body,
  };
}
