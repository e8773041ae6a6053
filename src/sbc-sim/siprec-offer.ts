import { randomBytes } from 'node:crypto';
import { answerCryptoLine } from '../adapters/srtp/sdes-crypto.js';
import type { SrtpKeying } from '../adapters/srtp/srtp-suites.js';

export interface SiprecOfferOptions {
  /** Address in the SDP c= line: where the simulator's RTP comes from. */
  mediaAddress: string;
  /** Local RTP ports of the caller (label 1) and agent (label 2) streams. */
  rtpPorts: readonly [number, number];
  fromNumber: string;
  toNumber: string;
  /** Domain used in the participants' AORs. */
  domain: string;
  startTime: Date;
  /**
   * SDES-SRTP (RFC 4568): per stream (caller, agent), the key this SBC protects its media with,
   * offered as `RTP/SAVP` with one `a=crypto` line; plain `RTP/AVP` without.
   */
  srtp?: readonly [SrtpKeying, SrtpKeying];
}

export interface SiprecOffer {
  contentType: string;
  body: string;
}

function xmlId(): string {
  return randomBytes(16).toString('base64');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cryptoLine(keying: SrtpKeying): string {
  const crypto = answerCryptoLine(1, keying);
  return `a=crypto:${crypto.id} ${crypto.suite} ${crypto.config}`;
}

/**
 * The recording INVITE body an SBC sends (RFC 7866 §6.1): an SDP offer with one sendonly
 * m-line per party, labelled 1 (caller) and 2 (agent), plus RFC 7865 metadata whose
 * participantstreamassoc ties each label to the party who speaks on it.
 */
export function buildSiprecOffer(options: SiprecOfferOptions): SiprecOffer {
  const boundary = `sbcsim-${randomBytes(8).toString('hex')}`;
  const ipVersion = options.mediaAddress.includes(':') ? 'IP6' : 'IP4';
  const sessionVersion = Math.floor(options.startTime.getTime() / 1000);
  const sdp = [
    'v=0',
    `o=callscribe-sbc-sim ${sessionVersion} ${sessionVersion} IN ${ipVersion} ${options.mediaAddress}`,
    's=SIPREC',
    `c=IN ${ipVersion} ${options.mediaAddress}`,
    't=0 0',
    ...options.rtpPorts.flatMap((port, i) => [
      `m=audio ${port} ${options.srtp ? 'RTP/SAVP' : 'RTP/AVP'} 0 101`,
      ...(options.srtp ? [cryptoLine(options.srtp[i]!)] : []),
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      `a=label:${i + 1}`,
      'a=sendonly',
    ]),
    '',
  ].join('\r\n');

  const time = options.startTime.toISOString();
  const session = xmlId();
  const caller = {
    id: xmlId(),
    stream: xmlId(),
    aor: `sip:${options.fromNumber}@${options.domain}`,
    name: 'Caller',
  };
  const agent = {
    id: xmlId(),
    stream: xmlId(),
    aor: `sip:${options.toNumber}@${options.domain}`,
    name: 'Agent',
  };
  const metadata = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '<datamode>complete</datamode>',
    `<session session_id="${session}">`,
    `<start-time>${time}</start-time>`,
    '</session>',
    ...[caller, agent].flatMap((p) => [
      `<participant participant_id="${p.id}">`,
      `<nameID aor="${escapeXml(p.aor)}">`,
      `<name xml:lang="en">${p.name}</name>`,
      '</nameID>',
      '</participant>',
    ]),
    ...[caller, agent].flatMap((p, i) => [
      `<stream stream_id="${p.stream}" session_id="${session}">`,
      `<label>${i + 1}</label>`,
      '</stream>',
    ]),
    `<sessionrecordingassoc session_id="${session}">`,
    `<associate-time>${time}</associate-time>`,
    '</sessionrecordingassoc>',
    ...[caller, agent].flatMap((p) => [
      `<participantsessionassoc participant_id="${p.id}" session_id="${session}">`,
      `<associate-time>${time}</associate-time>`,
      '</participantsessionassoc>',
    ]),
    ...[
      [caller, agent],
      [agent, caller],
    ].flatMap(([self, other]) => [
      `<participantstreamassoc participant_id="${self!.id}">`,
      `<send>${self!.stream}</send>`,
      `<recv>${other!.stream}</recv>`,
      '</participantstreamassoc>',
    ]),
    '</recording>',
    '',
  ].join('\r\n');

  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    'Content-Disposition: session;handling=required',
    '',
    sdp,
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { contentType: `multipart/mixed;boundary=${boundary}`, body };
}

/** The SDP part of an answer: plain application/sdp, or inside a multipart body. */
export function extractSdp(contentType: string, body: string): string | null {
  if (/^application\/sdp/i.test(contentType)) return body;
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\//i.test(contentType) || boundary === undefined) return null;
  for (const part of body.split(`--${boundary}`)) {
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    if (/content-type:\s*application\/sdp/i.test(part.slice(0, split.index))) {
      return part.slice(split.index + split[0].length);
    }
  }
  return null;
}
