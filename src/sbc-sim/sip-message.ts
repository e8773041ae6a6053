import { AppError } from '../domain/errors.js';

/** A SIP message as the simulator needs it: header names lower-cased, values in arrival order. */
export interface SipMessage {
  /** Set for responses. */
  status: number | null;
  reason: string;
  /** Set for requests. */
  method: string | null;
  requestUri: string;
  headers: Map<string, string[]>;
  body: string;
}

const COMPACT_NAMES: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
};

export function header(message: SipMessage, name: string): string | undefined {
  return message.headers.get(name)?.[0];
}

/** Parses one complete message (a UDP datagram, or a frame cut by SipStreamFramer). */
export function parseSipMessage(text: string): SipMessage {
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : '';
  const lines = head.split(/\r?\n/);
  const start = lines.shift() ?? '';
  const headers = new Map<string, string[]>();
  let last: { name: string } | null = null;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      const values = headers.get(last.name)!;
      values[values.length - 1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT_NAMES[raw] ?? raw;
    const value = line.slice(colon + 1).trim();
    const values = headers.get(name) ?? [];
    // Via may carry several comma-separated hops on one line; the simulator only needs the first.
    values.push(value);
    headers.set(name, values);
    last = { name };
  }
  const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (response) {
    return {
      status: Number(response[1]),
      reason: response[2] ?? '',
      method: null,
      requestUri: '',
      headers,
      body,
    };
  }
  const request = /^([A-Z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (request) {
    return {
      status: null,
      reason: '',
      method: request[1]!,
      requestUri: request[2]!,
      headers,
      body,
    };
  }
  throw new AppError('SIP_PARSE_ERROR', 'not a SIP start line', {
    details: { startLine: start.slice(0, 80) },
  });
}

/** Cuts a TCP byte stream into messages by Content-Length (RFC 3261 §18.3). */
export class SipStreamFramer {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: string[] = [];
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626) carry nothing.
      let start = 0;
      while (
        start < this.#buffer.length &&
        (this.#buffer[start] === 0x0d || this.#buffer[start] === 0x0a)
      )
        start++;
      if (start > 0) this.#buffer = this.#buffer.subarray(start);
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return out;
      const head = this.#buffer.subarray(0, end).toString('utf8');
      const length = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
      const bodyBytes = length ? Number(length[1]) : 0;
      const total = end + 4 + bodyBytes;
      if (this.#buffer.length < total) return out;
      out.push(this.#buffer.subarray(0, total).toString('utf8'));
      this.#buffer = this.#buffer.subarray(total);
    }
  }
}
