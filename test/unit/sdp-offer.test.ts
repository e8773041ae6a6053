import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { offerlessBody } from '../../src/adapters/sip/offerless-body.js';
import type { SipRequest } from '../../src/adapters/sip/sip-message.js';
import { readRemoteAnswer } from '../../src/adapters/siprec/remote-answer.js';
import { buildSdpAnswer } from '../../src/adapters/siprec/sdp-answer.js';
import { buildSdpOffer } from '../../src/adapters/siprec/sdp-offer.js';
import { isAppError } from '../../src/domain/errors.js';
import { CodecRegistry } from '../../src/media/codec-registry.js';
import type { CodecPolicy } from '../../src/media/codec-policy.js';
import { CODECS, type CodecName } from '../../src/media/codecs.js';

/** A machine with these decoders, for offer logic only (nothing is decoded here). */
function policyWith(names: CodecName[], preference: CodecName[] = names): CodecPolicy {
  return {
    registry: new CodecRegistry(
      names.map((name) => ({
        codec: CODECS[name],
        implementation: 'offer-test',
        create: () => {
          throw new Error('not decoded in offer tests');
        },
      })),
    ),
    preference,
  };
}

function offer(policy: CodecPolicy, lines = [{ port: 40000, label: null as string | null }]) {
  return buildSdpOffer({
    address: '192.0.2.10',
    lines,
    sessionId: '77',
    sessionVersion: 3,
    codecs: policy,
  });
}

const rtpmaps = (sdp: string, line = 0) =>
  (parse(sdp).media[line]?.rtp ?? []).map(
    (r) => `${r.payload} ${r.codec}/${r.rate}${r.encoding ? `/${r.encoding}` : ''}`,
  );

describe("callscribe's own offer (delayed offer)", () => {
  it('lists every decodable codec in sipCodecs order, static types where they exist, then telephone-event per clock in the same order', () => {
    const sdp = offer(policyWith(['opus', 'G722', 'PCMU', 'PCMA', 'G729']));
    const media = parse(sdp).media[0];
    expect(media).toMatchObject({ type: 'audio', port: 40000, protocol: 'RTP/AVP' });
    expect(media?.direction).toBe('recvonly');
    expect(media?.payloads).toBe('96 9 0 8 18 97 101');
    expect(rtpmaps(sdp)).toEqual([
      '96 opus/48000/2',
      '9 G722/8000',
      '0 PCMU/8000',
      '8 PCMA/8000',
      '18 G729/8000',
      '97 telephone-event/48000',
      '101 telephone-event/8000',
    ]);
    expect(parse(sdp).connection?.ip).toBe('192.0.2.10');
    expect(parse(sdp).origin).toMatchObject({ sessionId: 77, sessionVersion: 3 });
    expect(sdp.endsWith('\r\n')).toBe(true);
  });

  it('skips a preferred codec this machine cannot decode, and never offers one sipCodecs leaves out', () => {
    // G.729 preferred but its library missing; G.722 decodable but not in sipCodecs.
    const sdp = offer(policyWith(['PCMA', 'PCMU', 'G722'], ['G729', 'PCMA', 'PCMU']));
    expect(rtpmaps(sdp)).toEqual(['8 PCMA/8000', '0 PCMU/8000', '101 telephone-event/8000']);
  });

  it('re-offers every line: labels kept, a declined line at port 0', () => {
    const sdp = offer(policyWith(['PCMU']), [
      { port: 40000, label: '1' },
      { port: 0, label: null },
      { port: 40004, label: '3' },
    ]);
    const media = parse(sdp).media;
    expect(
      media.map((m) => [m.port, m.label === undefined ? undefined : String(m.label), m.direction]),
    ).toEqual([
      [40000, '1', 'recvonly'],
      [0, undefined, undefined],
      [40004, '3', 'recvonly'],
    ]);
  });
});

describe("the SRC's answer in the ACK", () => {
  const policy = policyWith(['opus', 'G722', 'PCMU', 'PCMA', 'G729']);
  const answer = (body: string) => Buffer.from(body.split('\n').join('\r\n'));
  const sdpWith = (mLine: string, extra: string[] = ['a=rtpmap:8 PCMA/8000', 'a=sendonly']) =>
    [
      'v=0',
      'o=CUCM 1 1 IN IP4 10.1.1.1',
      's=-',
      'c=IN IP4 10.1.1.1',
      't=0 0',
      mLine,
      ...extra,
      '',
    ].join('\n');
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return isAppError(error) ? error.code : 'not an AppError';
    }
  };
  const accept = (body: Buffer, contentType: string | undefined = 'application/sdp') =>
    buildSdpAnswer(readRemoteAnswer(contentType, body, 1), {
      address: '192.0.2.10',
      ports: [40000],
      sessionId: '77',
      sessionVersion: 1,
      codecs: policy,
    }).accepted;

  it('an answer picking PCMA sets the stream up for PCMA (and the events it lists)', () => {
    const accepted = accept(
      answer(
        sdpWith('m=audio 30000 RTP/AVP 8 101', [
          'a=rtpmap:8 PCMA/8000',
          'a=rtpmap:101 telephone-event/8000',
          'a=sendonly',
        ]),
      ),
    );
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.port).toBe(40000);
    expect(accepted[0]?.payloads.map((p) => [p.payloadType, p.kind])).toEqual([
      [8, 'audio'],
      [101, 'telephone-event'],
    ]);
  });

  it('a body without Content-Type that reads as SDP is still the answer', () => {
    expect(accept(answer(sdpWith('m=audio 30000 RTP/AVP 8')), undefined)).toHaveLength(1);
  });

  it('no body, an unreadable one, the wrong m-line count, a codec never offered, port 0: refused', () => {
    expect(codeOf(() => accept(Buffer.alloc(0)))).toBe('SDP_ANSWER_MISSING');
    expect(codeOf(() => accept(Buffer.from('  \r\n')))).toBe('SDP_ANSWER_MISSING');
    expect(codeOf(() => accept(Buffer.from('hello'), 'text/plain'))).toBe('SDP_ANSWER_UNUSABLE');
    const two = answer(
      sdpWith('m=audio 30000 RTP/AVP 8', ['a=sendonly', 'm=audio 30002 RTP/AVP 8', 'a=sendonly']),
    );
    expect(codeOf(() => accept(two))).toBe('SDP_ANSWER_UNUSABLE');
    expect(
      codeOf(() => accept(answer(sdpWith('m=audio 30000 RTP/AVP 3', ['a=rtpmap:3 GSM/8000'])))),
    ).toBe('SDP_NO_ACCEPTABLE_CODEC');
    expect(codeOf(() => accept(answer(sdpWith('m=audio 0 RTP/AVP 8'))))).toBe(
      'SDP_NO_ACCEPTABLE_CODEC',
    );
  });
});

describe('which INVITE bodies are a delayed offer', () => {
  const metadata = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>
<session session_id="czE="></session>
<stream stream_id="YQ==" session_id="czE="><label>10</label></stream>
<stream stream_id="Yg==" session_id="czE="><label>11</label></stream>
</recording>`;
  const invite = (contentType: string | undefined, body: string): SipRequest => ({
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:srs@192.0.2.10',
    headers: contentType === undefined ? [] : [{ name: 'Content-Type', value: contentType }],
    body: Buffer.from(body),
  });

  it('no body, or metadata alone (plain or the only known part of a multipart): an offer is wanted', () => {
    expect(offerlessBody(invite(undefined, ''))).toEqual({ metadataXml: null, metadata: null });
    expect(offerlessBody(invite('application/sdp', '\r\n'))).toMatchObject({ metadata: null });
    const plain = offerlessBody(invite('application/rs-metadata+xml', metadata));
    expect(plain?.metadata?.streams.map((s) => s.label)).toEqual(['10', '11']);
    const multipart = [
      '--b',
      'Content-Type: application/gtd',
      '',
      'IAM,',
      '--b',
      'Content-Type: application/rs-metadata+xml',
      '',
      metadata,
      '--b--',
      '',
    ].join('\r\n');
    const parts = offerlessBody(invite('multipart/mixed;boundary=b', multipart));
    expect(parts?.metadata?.streams).toHaveLength(2);
  });

  it('SDP, or a body that is neither, is not a delayed offer', () => {
    expect(offerlessBody(invite('application/sdp', 'v=0\r\n'))).toBeNull();
    expect(offerlessBody(invite('text/plain', 'hello'))).toBeNull();
    const withSdp = ['--b', 'Content-Type: application/sdp', '', 'v=0', '--b--', ''].join('\r\n');
    expect(offerlessBody(invite('multipart/mixed;boundary=b', withSdp))).toBeNull();
  });
});
