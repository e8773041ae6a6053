import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import {
  parseCSeq,
  parseNameAddr,
  parseVia,
  tagOf,
} from '../../src/adapters/sip/sip-header-values.js';
import {
  headerLines,
  headerList,
  headerValue,
  serializeSipMessage,
} from '../../src/adapters/sip/sip-message.js';
import { parseSipMessage } from '../../src/adapters/sip/sip-parser.js';
import { SipStreamFramer } from '../../src/adapters/sip/sip-stream-framer.js';
import { loadVendorInvite, vendorInviteNames } from '../sipp/support/vendor-invites.js';

const crlf = (lines: string[]): string => lines.join('\r\n');

function parseErrorOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isAppError(error) ? error.code : 'not-app-error';
  }
  return undefined;
}

const compactInvite = crlf([
  'INVITE sip:srs@127.0.0.1 SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK2',
  'V: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3',
  'f: <sip:src@10.0.0.1>;tag=abc',
  't: <sip:srs@127.0.0.1>',
  'i: call-1@10.0.0.1',
  'CSEQ: 1 INVITE',
  'm: <sip:src@10.0.0.1:5060>;+sip.src',
  'k: timer',
  'c: application/sdp',
  'l: 3',
  'Subject: folded',
  '  across lines',
  '',
  'v=0',
]);

describe('SIP parser', () => {
  it('expands compact forms and reads names case-insensitively', () => {
    const message = parseSipMessage(Buffer.from(compactInvite));
    expect(message.kind).toBe('request');
    if (message.kind !== 'request') return;
    expect(message.method).toBe('INVITE');
    expect(headerValue(message, 'Call-ID')).toBe('call-1@10.0.0.1');
    expect(headerValue(message, 'call-id')).toBe('call-1@10.0.0.1');
    expect(headerValue(message, 'Contact')).toBe('<sip:src@10.0.0.1:5060>;+sip.src');
    expect(headerValue(message, 'Supported')).toBe('timer');
    expect(headerValue(message, 'Content-Type')).toBe('application/sdp');
    expect(headerValue(message, 'cseq')).toBe('1 INVITE');
    expect(message.headers.map((h) => h.name)).toContain('CSeq');
    expect(tagOf(headerValue(message, 'from'))).toBe('abc');
    expect(message.body.toString()).toBe('v=0');
  });

  it('keeps multi-valued headers in order across commas and repeated lines', () => {
    const message = parseSipMessage(Buffer.from(compactInvite));
    expect(headerLines(message, 'via')).toHaveLength(2);
    const vias = headerList(message, 'via').map((v) => parseVia(v).branch);
    expect(vias).toEqual(['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3']);
    expect(parseVia(headerList(message, 'via')[2] as string).port).toBeUndefined();
  });

  it('unfolds continuation lines', () => {
    const message = parseSipMessage(Buffer.from(compactInvite));
    expect(headerValue(message, 'subject')).toBe('folded across lines');
  });

  it('accepts bare LF in the header section and leaves bare LF in the body untouched', () => {
    const body = '--b\nContent-Type: application/sdp\n\nv=0\n--b--\n';
    const text = `INVITE sip:srs@h SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\nContent-Length: ${body.length}\n\n${body}`;
    const message = parseSipMessage(Buffer.from(text));
    expect(message.body.toString()).toBe(body);
    expect(message.body.includes('\r')).toBe(false);
  });

  it('takes exactly Content-Length bytes, counting multi-byte characters as bytes', () => {
    const body = 'Zoë — ünïcode';
    const bytes = Buffer.from(body, 'utf8');
    const text = `OPTIONS sip:srs@h SIP/2.0\r\nContent-Length: ${bytes.length}\r\n\r\n${body}TRAILING`;
    const message = parseSipMessage(Buffer.from(text, 'utf8'));
    expect(message.body.equals(bytes)).toBe(true);
  });

  it('parses responses', () => {
    const message = parseSipMessage(Buffer.from('SIP/2.0 180 Ringing\r\nCall-ID: x\r\n\r\n'));
    expect(message).toMatchObject({ kind: 'response', status: 180, reason: 'Ringing' });
  });

  it('refuses malformed messages with SIP_PARSE_ERROR', () => {
    expect(parseErrorOf(() => parseSipMessage(Buffer.from('HELLO\r\n\r\n')))).toBe(
      'SIP_PARSE_ERROR',
    );
    expect(
      parseErrorOf(() => parseSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\nVia: x\r\n'))),
    ).toBe('SIP_PARSE_ERROR');
    expect(
      parseErrorOf(() =>
        parseSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\nabc')),
      ),
    ).toBe('SIP_PARSE_ERROR');
    expect(
      parseErrorOf(() =>
        parseSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n')),
      ),
    ).toBe('SIP_PARSE_ERROR');
    expect(
      parseErrorOf(() => parseSipMessage(Buffer.from('INVITE sip:a SIP/2.0\r\n bad fold\r\n\r\n'))),
    ).toBe('SIP_PARSE_ERROR');
    expect(parseErrorOf(() => parseSipMessage(Buffer.from('SIP/2.0 999 Nope\r\n\r\n')))).toBe(
      'SIP_PARSE_ERROR',
    );
  });

  it('round-trips through the serializer with a corrected Content-Length', () => {
    const message = parseSipMessage(Buffer.from(compactInvite));
    const again = parseSipMessage(serializeSipMessage(message));
    const withoutLength = (m: typeof message) =>
      m.headers.filter((h) => h.name !== 'Content-Length');
    expect(withoutLength(again)).toEqual(withoutLength(message));
    expect(again.body.equals(message.body)).toBe(true);
    expect(headerValue(again, 'content-length')).toBe('3');
  });

  it('parses structured values', () => {
    expect(parseCSeq('101 INVITE')).toEqual({ seq: 101, method: 'INVITE' });
    expect(parseNameAddr('"Agent, One" <sip:a@b;transport=tcp>;tag=9').params.get('tag')).toBe('9');
    expect(parseNameAddr('"Agent, One" <sip:a@b;transport=tcp>;tag=9').uri).toBe(
      'sip:a@b;transport=tcp',
    );
    expect(parseVia('SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKa;rport')).toMatchObject({
      transport: 'TCP',
      host: '2001:db8::1',
      port: 5061,
      branch: 'z9hG4bKa',
    });
  });
});

describe('vendor INVITE fixtures', () => {
  it.each(vendorInviteNames)('%s parses as a complete INVITE', (name) => {
    const fixture = loadVendorInvite(name);
    const message = parseSipMessage(fixture.bytes);
    expect(message.kind).toBe('request');
    if (message.kind !== 'request') return;
    expect(message.method).toBe('INVITE');
    expect(headerValue(message, 'call-id')).toBeTruthy();
    expect(headerValue(message, 'content-type')).toMatch(/^multipart\/mixed/i);
    expect(message.body.length).toBe(Number(headerValue(message, 'content-length')));
    expect(message.body.toString()).toMatch(/m=audio/);
  });

  it('the AudioCodes INVITE is byte-exact: its body is the declared 1986 bytes', () => {
    const fixture = loadVendorInvite('10-audiocodes-mediant-7.20A-invite.txt');
    expect(fixture.repairs).toEqual([]);
    const message = parseSipMessage(fixture.bytes);
    expect(message.body.length).toBe(1986);
    expect(headerList(message, 'allow')).toContain('UPDATE');
  });
});

describe('TCP stream framer', () => {
  const invite = loadVendorInvite('10-audiocodes-mediant-7.20A-invite.txt').bytes;
  const options = Buffer.from('OPTIONS sip:srs@h SIP/2.0\r\nl: 0\r\n\r\n');

  it('reassembles a message split at every byte boundary', () => {
    for (const cut of [1, 10, 200, invite.indexOf('\r\n\r\n') + 2, invite.length - 1]) {
      const framer = new SipStreamFramer({ maxMessageBytes: 65_536 });
      expect(framer.push(invite.subarray(0, cut))).toEqual([]);
      const frames = framer.push(invite.subarray(cut));
      expect(frames).toHaveLength(1);
      expect(frames[0]).toEqual({ type: 'message', data: invite });
    }
  });

  it('separates coalesced messages and skips CRLF keep-alives', () => {
    const framer = new SipStreamFramer({ maxMessageBytes: 65_536 });
    const frames = framer.push(
      Buffer.concat([Buffer.from('\r\n\r\n'), options, invite, Buffer.from('\r\n'), options]),
    );
    expect(frames.map((f) => f.type)).toEqual(['ping', 'message', 'message', 'message']);
    expect(frames[2]).toEqual({ type: 'message', data: invite });
    expect(framer.pendingBytes).toBe(0);
  });

  it('refuses oversize messages, from the declared length or from endless headers', () => {
    const small = new SipStreamFramer({ maxMessageBytes: 1000 });
    expect(() => small.push(invite)).toThrow(/size limit/);
    const endless = new SipStreamFramer({ maxMessageBytes: 1000 });
    expect(() =>
      endless.push(Buffer.from('INVITE sip:a SIP/2.0\r\n' + 'X-Pad: y\r\n'.repeat(200))),
    ).toThrow(/size limit/);
  });

  it('refuses a bad Content-Length on a stream', () => {
    const framer = new SipStreamFramer({ maxMessageBytes: 65_536 });
    expect(() =>
      framer.push(Buffer.from('OPTIONS sip:a SIP/2.0\r\nContent-Length: abc\r\n\r\n')),
    ).toThrow(/unreadable/);
  });
});
