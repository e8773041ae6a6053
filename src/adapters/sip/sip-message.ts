/**
 * SIP messages as plain data. Headers keep wire order and repetition (a repeated `Via:` line is
 * a second entry); lookups are case-insensitive. The body is raw bytes, never re-encoded, so a
 * multipart SIPREC body with bare LF or UTF-8 text survives untouched.
 */
export interface SipHeader {
  /** Full header name (compact forms already expanded), in its canonical spelling when known. */
  name: string;
  value: string;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeader[];
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeader[];
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

const CRLF = '\r\n';

/** First value of a header (case-insensitive name), or undefined. */
export function headerValue(
  message: Pick<SipMessage, 'headers'>,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  return message.headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

/** Every line of a header, in wire order, without splitting comma lists. */
export function headerLines(message: Pick<SipMessage, 'headers'>, name: string): string[] {
  const lower = name.toLowerCase();
  return message.headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value);
}

/**
 * Every element of a list header (Via, Route, Allow, Require, ...), across repeated lines and
 * comma-separated values, in order. Commas inside quotes or `<...>` do not split.
 */
export function headerList(message: Pick<SipMessage, 'headers'>, name: string): string[] {
  return headerLines(message, name).flatMap(splitHeaderList);
}

export function splitHeaderList(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (inQuotes) {
      current += ch;
      if (ch === '\\' && i + 1 < value.length) current += value[++i] as string;
      else if (ch === '"') inQuotes = false;
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === '<') inAngle = true;
    else if (ch === '>') inAngle = false;
    else if (ch === ',' && !inAngle) {
      if (current.trim() !== '') parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/** Serializes with CRLF line ends; Content-Length is always rewritten to the body's byte length. */
export function serializeSipMessage(message: SipMessage): Buffer {
  const startLine =
    message.kind === 'request'
      ? `${message.method} ${message.uri} SIP/2.0`
      : `SIP/2.0 ${message.status} ${message.reason}`;
  const lines = [startLine];
  for (const header of message.headers) {
    if (header.name.toLowerCase() === 'content-length') continue;
    lines.push(`${header.name}: ${header.value}`);
  }
  lines.push(`Content-Length: ${message.body.length}`);
  const head = Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'utf8');
  return message.body.length === 0 ? head : Buffer.concat([head, message.body]);
}
