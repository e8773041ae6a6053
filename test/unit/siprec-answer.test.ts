import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import { buildSdpAnswer } from '../../src/adapters/siprec/sdp-answer.js';
import { parseSiprecOffer, type SiprecOffer } from '../../src/adapters/siprec/siprec-offer.js';
import { fixtureNames, loadFixture, type FixtureName } from '../fixtures/siprec/load-fixture.js';

/** Per m-line: `port-or-0 codec direction label` as the answer must read; `declined` lines show only the format. */
const expected: Record<FixtureName, string[]> = {
  '01-oracle-acme-sbc-genesys-4streams-invite.txt': [
    'accept PCMU/0+te101 recvonly 1006644281',
    'accept PCMU/0 inactive 1006644282',
    'accept PCMU/0+te101 recvonly 1006644283',
    'accept PCMU/0 inactive 1006644284',
  ],
  '07-sems-sbc-body.txt': ['accept PCMA/8 recvonly a_leg', 'accept PCMA/8 recvonly b_leg'],
  '10-audiocodes-mediant-7.20A-invite.txt': [
    'accept PCMU/0+te101 recvonly 1',
    'accept PCMU/0+te101 recvonly 2',
  ],
  '11-cisco-cube-ios16.10-invite-and-bye.txt': [
    'accept PCMU/0+te101 recvonly 1',
    'accept PCMU/0+te101 recvonly 2',
  ],
  // opus first and a 48 kHz telephone-event in the offer: PCMU chosen, only the 8 kHz event kept.
  '14-cisco-webex-calling-broadworks-invite.txt': ['accept PCMU/0+te101 recvonly 1'],
  '15-rfc8068-style-example-via-aws-chime-docs.txt': [
    'accept PCMU/0 recvonly 96',
    'decline video 96',
    'accept PCMU/0 recvonly 98',
    'decline video 96',
  ],
  '90-unknown-vendor-bare-lf-invite.txt': [
    'decline video 96',
    'accept PCMA/8+te101 recvonly out',
    'accept PCMA/8 recvonly in',
    'decline audio 18',
  ],
};

const ports = [41000, 41002, 41004, 41006];

function answerFor(offer: SiprecOffer, heldIndexes?: ReadonlySet<number>) {
  return buildSdpAnswer(offer, {
    address: '127.0.0.1',
    ports,
    sessionId: '4242',
    sessionVersion: 7,
    heldIndexes,
  });
}

function describeAnswer(sdp: string): string[] {
  const parsed = parse(sdp);
  return (parsed.media ?? []).map((m, i) => {
    if (m.port === 0) return `decline ${m.type} ${String(m.payloads)}`;
    expect(m.port).toBe(ports[i]);
    const [main, ...rest] = m.rtp ?? [];
    const events = rest.map((r) => `+te${r.payload}`).join('');
    expect(rest.every((r) => r.codec === 'telephone-event' && r.rate === 8000)).toBe(true);
    return `accept ${main?.codec ?? '?'}/${main?.payload ?? '?'}${events} ${m.direction ?? 'none'} ${String(m.label ?? '')}`;
  });
}

describe('SDP answer per fixture', () => {
  it.each(fixtureNames)('%s: every m-line answered in order', (name) => {
    const message = loadFixture(name);
    const offer = parseSiprecOffer(message.contentType, message.body);
    const { sdp, accepted } = answerFor(offer);
    expect(sdp.endsWith('\r\n')).toBe(true);
    expect(sdp.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(sdp).not.toMatch(/multipart|boundary/i);
    const parsed = parse(sdp);
    expect(parsed.origin?.address).toBe('127.0.0.1');
    expect(String(parsed.origin?.sessionId)).toBe('4242');
    expect(parsed.connection?.ip).toBe('127.0.0.1');
    expect(parsed.media).toHaveLength(offer.streams.length);
    expect(describeAnswer(sdp)).toEqual(expected[name]);
    const acceptedLines = expected[name].flatMap((line, index) =>
      line.startsWith('accept') ? [index] : [],
    );
    expect(accepted.map((a) => a.index)).toEqual(acceptedLines);
    for (const stream of accepted) {
      expect(stream.port).toBe(ports[stream.index]);
      expect(stream.label).toBe(offer.streams[stream.index]?.label);
    }
  });

  it('lists telephone-event and CN payload types as ignored (CUBE offers PT 101 and 19)', () => {
    const message = loadFixture('11-cisco-cube-ios16.10-invite-and-bye.txt');
    const { accepted } = answerFor(parseSiprecOffer(message.contentType, message.body));
    expect(accepted.map((a) => a.ignoredPayloadTypes)).toEqual([
      [101, 19],
      [101, 19],
    ]);
    expect(accepted.map((a) => [a.codec, a.payloadType])).toEqual([
      ['PCMU', 0],
      ['PCMU', 0],
    ]);
  });

  it('answers held m-lines a=inactive and keeps their ports', () => {
    const message = loadFixture('10-audiocodes-mediant-7.20A-invite.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const { sdp, accepted } = answerFor(offer, new Set([1]));
    const media = parse(sdp).media ?? [];
    expect(media.map((m) => [m.port, m.direction])).toEqual([
      [41000, 'recvonly'],
      [41002, 'inactive'],
    ]);
    expect(accepted).toHaveLength(2);
  });

  it('does not invent a=label for unlabelled m-lines (CUBE NBR-style plain SDP)', () => {
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 8\r\n';
    const offer = parseSiprecOffer('application/sdp', sdp);
    expect(offer.isSiprec).toBe(false);
    expect(offer.metadata).toBeNull();
    expect(offer.streams[0]?.label).toBe('0');
    const answer = answerFor(offer);
    expect(parse(answer.sdp).media?.[0]?.label).toBeUndefined();
    expect(answer.accepted[0]?.label).toBe('0');
  });

  it('declines SRTP and port-0 audio lines', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 5000 RTP/SAVP 0',
      'a=label:1',
      'm=audio 0 RTP/AVP 0',
      'a=label:2',
      'm=audio 5004 RTP/AVP 0',
      'a=label:3',
      '',
    ].join('\r\n');
    const answer = answerFor(parseSiprecOffer('application/sdp', sdp));
    expect(describeAnswer(answer.sdp)).toEqual([
      'decline audio 0',
      'decline audio 0',
      'accept PCMU/0 recvonly 3',
    ]);
  });

  it('refuses with SDP_NO_ACCEPTABLE_CODEC (488) when nothing can be recorded', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 5000 RTP/AVP 18',
      'a=rtpmap:18 G729/8000',
      'a=label:1',
      'm=audio 5002 RTP/AVP 111',
      'a=rtpmap:111 opus/48000/2',
      'a=label:2',
      'm=video 5004 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      '',
    ].join('\r\n');
    const offer = parseSiprecOffer('application/sdp', sdp);
    let caught: unknown;
    try {
      answerFor(offer);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('SDP_NO_ACCEPTABLE_CODEC');
    expect(isAppError(caught) && caught.details['status']).toBe(488);
  });

  it('answers an IPv6 address with IP6', () => {
    const message = loadFixture('07-sems-sbc-body.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const { sdp } = buildSdpAnswer(offer, {
      address: '::1',
      ports,
      sessionId: '1',
      sessionVersion: 1,
    });
    expect(sdp).toContain('c=IN IP6 ::1\r\n');
  });
});
