import { AppError } from '../../domain/errors.js';

/** Parsers for the structured header values the UAS needs (Via, CSeq, From/To, URIs). */

function parseError(message: string): AppError {
  return new AppError('SIP_PARSE_ERROR', message);
}

export type HeaderParams = Map<string, string>;

/** `;a=b;c` → Map{a: 'b', c: ''}; names lower-cased, values kept (quotes stripped). */
export function parseParams(text: string): HeaderParams {
  const params: HeaderParams = new Map();
  for (const part of text.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    let value = eq < 0 ? '' : trimmed.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (name !== '') params.set(name, value);
  }
  return params;
}

export interface Via {
  transport: string;
  host: string;
  port: number | undefined;
  /** `host[:port]` as written, the transaction-matching "sent-by". */
  sentBy: string;
  branch: string | undefined;
  params: HeaderParams;
}

export function parseVia(value: string): Via {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9-]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(value.trim());
  if (!match) throw parseError('invalid Via');
  const sentBy = match[2] as string;
  const { host, port } = splitHostPort(sentBy);
  const params = parseParams(match[3] ?? '');
  return {
    transport: (match[1] as string).toUpperCase(),
    host,
    port,
    sentBy,
    branch: params.get('branch'),
    params,
  };
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  const match = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!match) throw parseError('invalid CSeq');
  const seq = Number(match[1]);
  if (seq > 2 ** 31 - 1) throw parseError('CSeq out of range');
  return { seq, method: match[2] as string };
}

export interface NameAddr {
  display: string | undefined;
  uri: string;
  params: HeaderParams;
}

/** From/To/Contact/Route values: `"Name" <uri>;params`, `<uri>;params`, or a bare `uri;params`. */
export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  const open = text.indexOf('<');
  if (open >= 0) {
    const close = text.indexOf('>', open);
    if (close < 0) throw parseError('unterminated <uri>');
    const display = text
      .slice(0, open)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return {
      display: display === '' ? undefined : display,
      uri: text.slice(open + 1, close).trim(),
      params: parseParams(text.slice(close + 1)),
    };
  }
  // Without angle brackets, parameters belong to the header, not the URI (RFC 3261 §20.10).
  const semi = text.indexOf(';');
  const uri = (semi < 0 ? text : text.slice(0, semi)).trim();
  if (uri === '') throw parseError('empty URI');
  return { display: undefined, uri, params: parseParams(semi < 0 ? '' : text.slice(semi)) };
}

export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tag = parseNameAddr(value).params.get('tag');
  return tag === undefined || tag === '' ? undefined : tag;
}

export interface SipUri {
  scheme: string;
  user: string | undefined;
  host: string;
  port: number | undefined;
  params: HeaderParams;
}

export function parseSipUri(uri: string): SipUri {
  const match = /^(sips?|tel):(.*)$/i.exec(uri.trim());
  if (!match) throw parseError('unsupported URI scheme');
  const scheme = (match[1] as string).toLowerCase();
  let rest = match[2] as string;
  const headersAt = rest.indexOf('?');
  if (headersAt >= 0) rest = rest.slice(0, headersAt);
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const semi = hostPart.indexOf(';');
  const { host, port } = splitHostPort(semi < 0 ? hostPart : hostPart.slice(0, semi));
  return { scheme, user, host, port, params: parseParams(semi < 0 ? '' : hostPart.slice(semi)) };
}

export function splitHostPort(text: string): { host: string; port: number | undefined } {
  const trimmed = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(trimmed);
  if (v6)
    return { host: v6[1] as string, port: v6[2] === undefined ? undefined : checkedPort(v6[2]) };
  const colon = trimmed.lastIndexOf(':');
  if (colon > 0 && trimmed.indexOf(':') === colon) {
    return { host: trimmed.slice(0, colon), port: checkedPort(trimmed.slice(colon + 1)) };
  }
  if (trimmed === '') throw parseError('empty host');
  return { host: trimmed, port: undefined };
}

function checkedPort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw parseError('invalid port');
  const port = Number(text);
  if (port > 65535) throw parseError('port out of range');
  return port;
}
