import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import { buildSdpAnswer } from '../../src/adapters/siprec/sdp-answer.js';
import {
  isSilentStream,
  parseSiprecOffer,
  type SiprecOffer,
} from '../../src/adapters/siprec/siprec-offer.js';
import { CodecRegistry } from '../../src/media/codec-registry.js';
import type { CodecPolicy } from '../../src/media/codec-policy.js';
import { CODECS, type CodecName } from '../../src/media/codecs.js';
import { fixtureNames, loadFixture, type FixtureName } from '../fixtures/siprec/load-fixture.js';

/** Per m-line: `port-or-0 codec direction label` as the answer must read; `declined` lines show only the format. */
const expected: Record<FixtureName, string[]> = {
  '01-oracle-acme-sbc-genesys-4streams-invite.txt': [
    'accept PCMU/0+te101 recvonly 1006644281',
    'accept PCMU/0,PCMA/8 inactive 1006644282',
    'accept PCMU/0+te101 recvonly 1006644283',
    'accept PCMU/0,PCMA/8 inactive 1006644284',
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
  // With G.711 only: both G.711 codecs, only the 8 kHz event (the 48 kHz one belongs to Opus).
  '14-cisco-webex-calling-broadworks-invite.txt': ['accept PCMU/0,PCMA/8+te101 recvonly 1'],
  '15-rfc8068-style-example-via-aws-chime-docs.txt': [
    'accept PCMU/0 recvonly 96',
    'decline video 96',
    'accept PCMU/0 recvonly 98',
    'decline video 96',
  ],
  '90-unknown-vendor-bare-lf-invite.txt': [
    'decline video 96',
    'accept PCMA/8+te101 recvonly out',
    'accept PCMU/0,PCMA/8 recvonly in',
    'decline audio 18',
  ],
};

const ports = [41000, 41002, 41004, 41006];

function answerFor(offer: SiprecOffer, heldIndexes?: ReadonlySet<number>, codecs?: CodecPolicy) {
  return buildSdpAnswer(offer, {
    address: '127.0.0.1',
    ports,
    sessionId: '4242',
    sessionVersion: 7,
    heldIndexes,
    codecs,
  });
}

/** `accept codec/pt,...+te<pt>... direction label`, the answer's m-lines as the SBC reads them. */
function describeAnswer(sdp: string): string[] {
  const parsed = parse(sdp);
  return (parsed.media ?? []).map((m, i) => {
    if (m.port === 0) return `decline ${m.type} ${String(m.payloads)}`;
    expect(m.port).toBe(ports[i]);
    const rtp = m.rtp ?? [];
    expect(String(m.payloads).split(' ').map(Number)).toEqual(rtp.map((r) => r.payload));
    const audio = rtp.filter((r) => r.codec !== 'telephone-event');
    const events = rtp.filter((r) => r.codec === 'telephone-event');
    // Events come last, each at the clock of an accepted codec.
    expect(rtp.slice(audio.length)).toEqual(events);
    const codecs = audio.map((r) => `${r.codec.toUpperCase()}/${r.payload}`).join(',');
    const te = events.map((r) => `+te${r.payload}${r.rate === 8000 ? '' : `@${r.rate}`}`).join('');
    return `accept ${codecs}${te} ${m.direction ?? 'none'} ${String(m.label ?? '')}`;
  });
}

/**
 * A policy as a machine with every codec library would have, for answer logic only (these
 * tests never decode); the codec-contract test runs the real decoders.
 */
function policyWith(names: CodecName[], preference: CodecName[] = names): CodecPolicy {
  return {
    registry: new CodecRegistry(
      names.map((name) => ({
        codec: CODECS[name],
        implementation: 'answer-test',
        create: () => {
          throw new Error('not decoded in answer tests');
        },
      })),
    ),
    preference,
  };
}
const everyCodec = policyWith(['opus', 'G722', 'PCMU', 'PCMA', 'G729']);

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

  it('lists every decodable offered codec in sipCodecs order (Webex offers opus and G.722 first)', () => {
    const message = loadFixture('14-cisco-webex-calling-broadworks-invite.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const full = answerFor(offer, undefined, everyCodec);
    expect(describeAnswer(full.sdp)).toEqual([
      'accept OPUS/111,G722/9,PCMU/0,PCMA/8+te101+te107@48000 recvonly 1',
    ]);
    expect(full.sdp).toContain('a=rtpmap:111 opus/48000/2\r\n');
    expect(full.accepted[0]?.outputRateHz).toBe(16_000);
    // Another preference, and a machine without libopus: G.711 first, no Opus, no 48 kHz event.
    const narrow = answerFor(
      offer,
      undefined,
      policyWith(['G722', 'PCMU', 'PCMA'], ['PCMA', 'PCMU', 'G722']),
    );
    expect(describeAnswer(narrow.sdp)).toEqual(['accept PCMA/8,PCMU/0,G722/9+te101 recvonly 1']);
    expect(narrow.accepted[0]?.outputRateHz).toBe(16_000);
    // sipCodecs leaves G.722 out: never answered even though it could be decoded.
    const noWideband = answerFor(
      offer,
      undefined,
      policyWith(['G722', 'PCMU', 'PCMA'], ['PCMU', 'PCMA']),
    );
    expect(describeAnswer(noWideband.sdp)).toEqual(['accept PCMU/0,PCMA/8+te101 recvonly 1']);
    expect(noWideband.accepted[0]?.outputRateHz).toBe(8000);
  });

  it('accepts static payload types without rtpmap and answers them with their standard rtpmap', () => {
    const message = loadFixture('90-unknown-vendor-bare-lf-invite.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const { sdp } = answerFor(offer, undefined, everyCodec);
    expect(describeAnswer(sdp)).toEqual([
      'decline video 96',
      'accept PCMA/8,G729/18+te101 recvonly out',
      'accept PCMU/0,PCMA/8 recvonly in',
      'accept G729/18 recvonly g729only',
    ]);
    expect(sdp).toContain('a=rtpmap:18 G729/8000\r\n');
  });

  it('recognises telephone-event and CN payload types (CUBE offers PT 101 and 19)', () => {
    const message = loadFixture('11-cisco-cube-ios16.10-invite-and-bye.txt');
    const { accepted } = answerFor(parseSiprecOffer(message.contentType, message.body));
    const kinds = accepted.map((a) =>
      a.payloads.map((p) => [p.payloadType, p.kind === 'audio' ? p.decoder.codec.name : p.kind]),
    );
    expect(kinds).toEqual([
      [
        [0, 'PCMU'],
        [101, 'telephone-event'],
        [19, 'comfort-noise'],
      ],
      [
        [0, 'PCMU'],
        [101, 'telephone-event'],
        [19, 'comfort-noise'],
      ],
    ]);
    expect(accepted.map((a) => a.outputRateHz)).toEqual([8000, 8000]);
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

  it('answers a=inactive to RFC 2543 hold: c=IN IP4 0.0.0.0, session or media level, whatever the direction', () => {
    const sdp = [
      'v=0',
      'o=- 1 2 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'm=audio 5000 RTP/AVP 0',
      'a=sendonly',
      'm=audio 5002 RTP/AVP 0',
      'c=IN IP4 192.0.2.1',
      'a=sendonly',
      'm=audio 5004 RTP/AVP 0',
      'c=IN IP4 0.0.0.0',
      '',
    ].join('\r\n');
    const offer = parseSiprecOffer('application/sdp', sdp);
    expect(offer.streams.map((s) => isSilentStream(s))).toEqual([true, false, true]);
    const media = parse(answerFor(offer).sdp).media ?? [];
    expect(media.map((m) => [m.port, m.direction])).toEqual([
      [41000, 'inactive'],
      [41002, 'recvonly'],
      [41004, 'inactive'],
    ]);
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
    expect(isAppError(caught) && caught.details['accepts']).toBe(
      'PCMU/8000, PCMA/8000 (plus telephone-event) over RTP/AVP or RTP/AVPF',
    );
    // The same offer on a machine with G.729 and Opus decoders is accepted.
    expect(describeAnswer(answerFor(offer, undefined, everyCodec).sdp)).toEqual([
      'accept G729/18 recvonly 1',
      'accept OPUS/111 recvonly 2',
      'decline video 96',
    ]);
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
