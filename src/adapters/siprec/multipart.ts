import { AppError } from '../../domain/errors.js';
import { parseContentType } from './content-type.js';

/** One body part. Header names are lower-cased; `contentType` is the bare lower-cased media type. */
export interface MimePart {
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

/** RFC 2046 §5.1.1 allows 70 characters; some SBCs exceed it, so only absurd lengths are refused. */
const maxBoundaryLength = 200;

/**
 * Splits a multipart body (RFC 2046) the way SIPREC sources actually send it: quoted or bare
 * boundary anywhere in the parameters, preamble and epilogue, a missing close delimiter, CRLF
 * or bare LF (AudioCodes 7.40A sends LF bodies), part headers in any order and case. Part
 * bodies are returned byte-for-byte except the line break that belongs to the next delimiter.
 */
export function splitMultipart(contentTypeHeader: string, body: string): MimePart[] {
  const { params } = parseContentType(contentTypeHeader);
  const boundary = params['boundary'];
  if (boundary === undefined || boundary === '' || boundary.length > maxBoundaryLength) {
    throw new AppError('SIPREC_BODY_INVALID', 'multipart body without a usable boundary parameter');
  }
  const delimiters = findDelimiters(body, `--${boundary}`);
  const parts: MimePart[] = [];
  for (let k = 0; k < delimiters.length; k++) {
    const current = delimiters[k];
    if (current === undefined || current.isClose) break;
    const next = delimiters[k + 1];
    const end = next === undefined ? body.length : next.lineStart;
    parts.push(parsePart(body.slice(current.contentStart, Math.max(current.contentStart, end))));
  }
  if (parts.length === 0) {
    throw new AppError('SIPREC_BODY_INVALID', 'multipart body contains no part', {
      details: { boundaryLength: boundary.length },
    });
  }
  return parts;
}

interface Delimiter {
  /** Where the delimiter's preceding line break starts (the end of the previous part). */
  lineStart: number;
  /** First character after the delimiter line. */
  contentStart: number;
  isClose: boolean;
}

function findDelimiters(body: string, dashBoundary: string): Delimiter[] {
  const found: Delimiter[] = [];
  let from = 0;
  while (from <= body.length) {
    const at = body.indexOf(dashBoundary, from);
    if (at < 0) break;
    from = at + 1;
    const atLineStart = at === 0 || body[at - 1] === '\n';
    if (!atLineStart) continue;
    let after = at + dashBoundary.length;
    const isClose = body.startsWith('--', after);
    if (isClose) after += 2;
    // Transport padding (RFC 2046 LWSP) may follow; anything else means the boundary was only a prefix.
    let lineEnd = after;
    while (lineEnd < body.length && (body[lineEnd] === ' ' || body[lineEnd] === '\t')) lineEnd++;
    if (lineEnd < body.length && body[lineEnd] !== '\r' && body[lineEnd] !== '\n' && !isClose)
      continue;
    if (body[lineEnd] === '\r' && body[lineEnd + 1] === '\n') lineEnd += 2;
    else if (body[lineEnd] === '\n' || body[lineEnd] === '\r') lineEnd += 1;
    let lineStart = at;
    if (at > 0 && body[at - 1] === '\n')
      lineStart = at >= 2 && body[at - 2] === '\r' ? at - 2 : at - 1;
    found.push({ lineStart, contentStart: lineEnd, isClose });
    if (isClose) break;
    from = lineEnd;
  }
  return found;
}

function parsePart(raw: string): MimePart {
  const headers: Record<string, string> = {};
  let pos = 0;
  let lastName: string | null = null;
  let sawHeader = false;
  while (pos < raw.length) {
    const nl = raw.indexOf('\n', pos);
    const lineEnd = nl < 0 ? raw.length : nl;
    const next = nl < 0 ? raw.length : nl + 1;
    const line = raw.slice(pos, lineEnd).replace(/\r$/, '');
    if (line === '') {
      pos = next;
      break;
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && lastName !== null) {
      headers[lastName] = `${headers[lastName] ?? ''} ${line.trim()}`;
      pos = next;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (name === '' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      // No blank line before content (seen in doc copies): what is not a header starts the body.
      if (!sawHeader) pos = 0;
      break;
    }
    lastName = name.toLowerCase();
    if (!Object.hasOwn(headers, lastName)) headers[lastName] = line.slice(colon + 1).trim();
    sawHeader = true;
    pos = next;
  }
  const contentTypeHeader = headers['content-type'];
  const contentType =
    contentTypeHeader === undefined ? 'text/plain' : parseContentType(contentTypeHeader).mediaType;
  return { headers, contentType, body: raw.slice(pos) };
}
