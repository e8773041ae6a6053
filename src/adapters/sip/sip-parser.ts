import { AppError } from '../../domain/errors.js';
import { canonicalHeaderName } from './sip-header-names.js';
import type { SipHeader, SipMessage } from './sip-message.js';

const LF = 0x0a;
const CR = 0x0d;
const MAX_HEADER_LINES = 512;
const requestLine = /^([A-Za-z0-9.!%*_+`'~-]+) +(\S+) +SIP\/2\.0$/i;
const statusLine = /^SIP\/2\.0 +(\d{3})(?: +(.*))?$/i;
const headerName = /^[A-Za-z0-9.!%*_+`'~-]+$/;

function parseError(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('SIP_PARSE_ERROR', message, { details });
}

/**
 * Byte offset just past the blank line ending the header section (CRLF CRLF, or bare LF as some
 * SBCs send), or -1 when the section is incomplete. Leading CR/LF keep-alives are skipped by the
 * caller first.
 */
export function headerSectionEnd(data: Buffer, from = 0): number {
  let i = data.indexOf(LF, from);
  while (i >= 0) {
    const next = data[i + 1];
    if (next === LF) return i + 2;
    if (next === CR && data[i + 2] === LF) return i + 3;
    i = data.indexOf(LF, i + 1);
  }
  return -1;
}

/** Number of leading CR/LF bytes (RFC 3261 §7.5 says to ignore them; RFC 5626 uses them as pings). */
export function leadingLineBreaks(data: Buffer, from = 0): number {
  let i = from;
  while (i < data.length && (data[i] === CR || data[i] === LF)) i++;
  return i - from;
}

/** The Content-Length a header section declares; undefined when absent. Throws on nonsense. */
export function declaredContentLength(headers: readonly SipHeader[]): number | undefined {
  let length: number | undefined;
  for (const header of headers) {
    if (header.name !== 'Content-Length') continue;
    if (!/^\d{1,9}$/.test(header.value)) throw parseError('invalid Content-Length');
    const value = Number(header.value);
    if (length !== undefined && length !== value)
      throw parseError('conflicting Content-Length headers');
    length = value;
  }
  return length;
}

/** Splits the header block into ordered headers, unfolding continuation lines. */
export function parseHeaderLines(lines: readonly string[]): SipHeader[] {
  if (lines.length > MAX_HEADER_LINES) throw parseError('too many header lines');
  const headers: SipHeader[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const previous = headers[headers.length - 1];
      if (previous === undefined) throw parseError('continuation line before any header');
      previous.value = `${previous.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw parseError('header line without a name', { line: line.slice(0, 80) });
    const rawName = line.slice(0, colon).trimEnd();
    if (!headerName.test(rawName))
      throw parseError('invalid header name', { name: rawName.slice(0, 80) });
    headers.push({ name: canonicalHeaderName(rawName), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/**
 * Parses one complete SIP message. The body is exactly Content-Length bytes when the header is
 * present (a longer datagram's tail is ignored, RFC 3261 §18.3), the rest of the buffer when not.
 * Errors are AppError('SIP_PARSE_ERROR').
 */
export function parseSipMessage(data: Buffer): SipMessage {
  const start = leadingLineBreaks(data);
  const end = headerSectionEnd(data, start);
  if (end < 0) throw parseError('header section is not terminated by an empty line');
  const headText = data.toString('utf8', start, end);
  const lines = headText.split(/\r?\n/);
  const first = lines[0] ?? '';
  const headers = parseHeaderLines(lines.slice(1));
  const available = data.length - end;
  const contentLength = declaredContentLength(headers);
  if (contentLength !== undefined && contentLength > available) {
    throw parseError('body shorter than Content-Length', { contentLength, available });
  }
  const body = Buffer.from(data.subarray(end, end + (contentLength ?? available)));

  const request = requestLine.exec(first);
  if (request) {
    return {
      kind: 'request',
      method: request[1] as string,
      uri: request[2] as string,
      headers,
      body,
    };
  }
  const response = statusLine.exec(first);
  if (response) {
    const status = Number(response[1]);
    if (status < 100 || status > 699) throw parseError('status code out of range', { status });
    return { kind: 'response', status, reason: response[2] ?? '', headers, body };
  }
  throw parseError('invalid start line', { line: first.slice(0, 80) });
}

/**
 * The start line and headers alone, ignoring the body and Content-Length: enough to answer a
 * message that cannot be taken whole (too large, truncated) with 513 or 400.
 */
export function parseSipHead(data: Buffer): SipMessage {
  const start = leadingLineBreaks(data);
  let end = headerSectionEnd(data, start);
  if (end < 0) end = data.length;
  const head = Buffer.concat([data.subarray(start, end), Buffer.from('\r\n\r\n')]);
  const headers = parseHeaderLines(head.toString('utf8').split(/\r?\n/).slice(1)).filter(
    (h) => h.name !== 'Content-Length',
  );
  const first = head.toString('utf8', 0, Math.max(0, head.indexOf('\n'))).replace(/\r$/, '');
  const request = requestLine.exec(first);
  if (request)
    return {
      kind: 'request',
      method: request[1] as string,
      uri: request[2] as string,
      headers,
      body: Buffer.alloc(0),
    };
  const response = statusLine.exec(first);
  if (response)
    return {
      kind: 'response',
      status: Number(response[1]),
      reason: response[2] ?? '',
      headers,
      body: Buffer.alloc(0),
    };
  throw parseError('invalid start line', { line: first.slice(0, 80) });
}
