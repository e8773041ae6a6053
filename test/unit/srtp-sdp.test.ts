import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { buildSdpAnswer } from '../../src/adapters/siprec/sdp-answer.js';
import { buildSdpOffer } from '../../src/adapters/siprec/sdp-offer.js';
import { readRemoteAnswer } from '../../src/adapters/siprec/remote-answer.js';
import { builtInCodecPolicy } from '../../src/media/codec-policy.js';
import { parseSiprecOffer } from '../../src/adapters/siprec/siprec-offer.js';
import { mapChannels } from '../../src/adapters/siprec/channel-mapping.js';
import { chooseCrypto, redactSdpKeys } from '../../src/adapters/srtp/sdes-crypto.js';
import type { SrtpSupport } from '../../src/adapters/srtp/srtp-support.js';
import { headersForError, statusForError } from '../../src/adapters/sip/sip-error-status.js';

const KEY30 = Buffer.alloc(30, 7).toString('base64');
const KEY28 = Buffer.alloc(28, 9).toString('base64');
const KEY44 = Buffer.alloc(44, 3).toString('base64');

function offerSdp(lines: { profile: string; crypto?: string[] }[]): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 192.0.2.1',
    's=-',
    'c=IN IP4 192.0.2.1',
    't=0 0',
    ...lines.flatMap((l, i) => [
      `m=audio ${5000 + 2 * i} ${l.profile} 0`,
      ...(l.crypto ?? []).map((c) => `a=crypto:${c}`),
      `a=label:${i + 1}`,
      'a=sendonly',
    ]),
    '',
  ].join('\r\n');
}

const optional: SrtpSupport = { policy: 'optional', available: true };
const required: SrtpSupport = { policy: 'required', available: true };
const off: SrtpSupport = { policy: 'off', available: true };

function answer(
  sdp: string,
  srtp: SrtpSupport,
  answerKeys?: Parameters<typeof buildSdpAnswer>[1]['answerKeys'],
) {
  return buildSdpAnswer(parseSiprecOffer('application/sdp', sdp), {
    address: '192.0.2.9',
    ports: [40000, 40002],
    sessionId: '1',
    sessionVersion: 1,
    srtp,
    ...(answerKeys === undefined ? {} : { answerKeys }),
  });
}

function refusal(fn: () => unknown): { status: number; warning: string } {
  try {
    fn();
  } catch (error) {
    return {
      status: statusForError(error),
      warning: headersForError(error).find((h) => h.name === 'Warning')?.value ?? '',
    };
  }
  throw new Error('expected a refusal');
}

describe('SDES crypto attributes (RFC 4568)', () => {
  it('takes the first line with a supported suite and a key of its length', () => {
    const chosen = chooseCrypto([
      { id: 1, suite: 'F8_128_HMAC_SHA1_80', config: `inline:${KEY30}` },
      { id: 2, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${KEY28}` },
      { id: 3, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${KEY30}|2^31|1:4` },
      {
        id: 4,
        suite: 'AES_CM_128_HMAC_SHA1_32',
        config: `inline:${KEY30}`,
        sessionConfig: 'UNENCRYPTED_SRTP',
      },
      {
        id: 5,
        suite: 'AEAD_AES_256_GCM',
        config: `inline:${KEY44}|2^48`,
        sessionConfig: 'WSH=128',
      },
    ]);
    expect(chosen?.tag).toBe(5);
    expect(chosen?.keying.suite).toBe('AEAD_AES_256_GCM');
    expect(Buffer.from(chosen!.keying.keyAndSalt).toString('base64')).toBe(KEY44);
  });

  it('redacts every inline key and k= line of an SDP', () => {
    const sdp = offerSdp([
      {
        profile: 'RTP/SAVP',
        crypto: [
          `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^31`,
          `2 AEAD_AES_128_GCM inline:${KEY28}`,
        ],
      },
    ]).replace('t=0 0', 't=0 0\r\nk=clear:secret');
    const redacted = redactSdpKeys(sdp);
    expect(redacted).not.toContain(KEY30);
    expect(redacted).not.toContain(KEY28);
    expect(redacted).not.toContain('secret');
    expect(redacted).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]|2^31');
  });
});

describe('SDP answers under srtpPolicy', () => {
  const mixed = offerSdp([
    {
      profile: 'RTP/SAVP',
      crypto: [`1 AEAD_AES_128_GCM inline:${KEY28}`, `2 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`],
    },
    { profile: 'RTP/AVP' },
  ]);

  it('optional: answers each m-line in kind, with a fresh key per SRTP stream and the offer tag', () => {
    const a = answer(mixed, optional);
    const media = parse(a.sdp).media;
    expect(media.map((m) => [m.protocol, m.port])).toEqual([
      ['RTP/SAVP', 40000],
      ['RTP/AVP', 40002],
    ]);
    expect(media[0]?.crypto).toHaveLength(1);
    expect(media[0]?.crypto?.[0]).toMatchObject({ id: 1, suite: 'AEAD_AES_128_GCM' });
    const ourKey = media[0]!.crypto![0]!.config.replace('inline:', '');
    expect(Buffer.from(ourKey, 'base64')).toHaveLength(28);
    expect(ourKey).not.toBe(KEY28);
    expect(media[1]?.crypto).toBeUndefined();
    // The SRC's key is what the stream is unprotected with.
    expect(Buffer.from(a.accepted[0]!.srtp!.keyAndSalt).toString('base64')).toBe(KEY28);
    expect(a.accepted[1]!.srtp).toBeUndefined();
    // A second call gets another key.
    const again = parse(answer(mixed, optional).sdp).media[0]!.crypto![0]!.config;
    expect(again).not.toBe(media[0]!.crypto![0]!.config);
  });

  it('keeps the answer (and its key) for an unchanged re-offer, and a new one when the suite changes', () => {
    const first = answer(mixed, optional);
    const keys = new Map(
      first.accepted.flatMap((s) => (s.answerKey ? [[s.index, s.answerKey] as const] : [])),
    );
    expect(answer(mixed, optional, keys).sdp).toBe(first.sdp);
    const rekeyed = offerSdp([
      { profile: 'RTP/SAVP', crypto: [`7 AEAD_AES_256_GCM inline:${KEY44}`] },
      { profile: 'RTP/AVP' },
    ]);
    const next = answer(rekeyed, optional, keys);
    expect(parse(next.sdp).media[0]!.crypto![0]).toMatchObject({
      id: 7,
      suite: 'AEAD_AES_256_GCM',
    });
    expect(next.accepted[0]!.srtp!.suite).toBe('AEAD_AES_256_GCM');
  });

  it('required: a plain RTP offer gets 488 with a Warning naming SRTP', () => {
    const r = refusal(() => answer(mixed, required));
    expect(r.status).toBe(488);
    expect(r.warning).toMatch(
      /^305 callscribe "SRTP required; .*RTP\/SAVP or RTP\/SAVPF with a=crypto AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM"$/,
    );
    const allSrtp = offerSdp([
      { profile: 'RTP/SAVPF', crypto: [`1 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`] },
      { profile: 'RTP/SAVP', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`] },
    ]);
    expect(parse(answer(allSrtp, required).sdp).media.map((m) => m.protocol)).toEqual([
      'RTP/SAVPF',
      'RTP/SAVP',
    ]);
  });

  it('an SRTP line with no supported suite gets 488 naming the supported ones', () => {
    const sdp = offerSdp([
      {
        profile: 'RTP/SAVP',
        crypto: [
          `1 F8_128_HMAC_SHA1_80 inline:${KEY30}`,
          `2 AES_192_CM_HMAC_SHA1_80 inline:${KEY30}`,
        ],
      },
      { profile: 'RTP/AVP' },
    ]);
    const r = refusal(() => answer(sdp, optional));
    expect(r.status).toBe(488);
    expect(r.warning).toContain(
      'No supported SRTP crypto suite; callscribe supports AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM',
    );
    expect(r.warning).not.toContain(KEY30);
  });

  it('off: SRTP lines are declined as before; an all-SRTP offer gets 488 naming plain RTP', () => {
    const a = answer(mixed, off);
    expect(parse(a.sdp).media.map((m) => m.port)).toEqual([0, 40002]);
    expect(a.sdp).not.toContain('a=crypto');
    const allSrtp = offerSdp([
      { profile: 'RTP/SAVP', crypto: [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`] },
    ]);
    const r = refusal(() => answer(allSrtp, off));
    expect(r.status).toBe(488);
    expect(r.warning).toContain('over RTP/AVP or RTP/AVPF');
  });

  it('without the SRTP library, an SRTP offer gets 488 saying what to install', () => {
    for (const aptPackage of ['libre0', 'libsrtp2-1']) {
      const r = refusal(() => answer(mixed, { policy: 'optional', available: false, aptPackage }));
      expect(r.warning).toContain(`(${aptPackage} not installed)`);
    }
  });

  it('channel mapping counts SRTP lines as recordable only when the answer accepts them', () => {
    const offer = parseSiprecOffer('application/sdp', mixed);
    const roles = (srtp: SrtpSupport) =>
      mapChannels({ offer, srtp }).streams.map((s) => `${s.label}:${s.role}`);
    expect(roles(optional)).toEqual(['1:CALLER', '2:AGENT']);
    // Only the plain line is recorded: it is the single stream.
    expect(roles(off)).toEqual(['1:null', '2:CALLER']);
  });
});

describe('delayed offer under srtpPolicy required', () => {
  it("offers RTP/SAVP with every suite, and unprotects with the key of the SRC's answer", () => {
    const offer = parse(
      buildSdpOffer({
        address: '192.0.2.9',
        lines: [{ port: 40000, label: '1' }],
        sessionId: '1',
        sessionVersion: 1,
        codecs: builtInCodecPolicy,
        srtp: required,
      }),
    );
    expect(offer.media[0]?.protocol).toBe('RTP/SAVP');
    expect(offer.media[0]?.crypto?.map((c) => `${c.id} ${c.suite}`)).toEqual([
      '1 AES_CM_128_HMAC_SHA1_80',
      '2 AES_CM_128_HMAC_SHA1_32',
      '3 AEAD_AES_128_GCM',
      '4 AEAD_AES_256_GCM',
    ]);
    const srcAnswer = offerSdp([
      { profile: 'RTP/SAVP', crypto: [`3 AEAD_AES_128_GCM inline:${KEY28}`] },
    ]);
    const described = readRemoteAnswer('application/sdp', Buffer.from(srcAnswer), 1);
    const accepted = answer(srcAnswer, required).accepted;
    expect(described.streams).toHaveLength(1);
    expect(accepted[0]?.srtp?.suite).toBe('AEAD_AES_128_GCM');
    expect(Buffer.from(accepted[0]!.srtp!.keyAndSalt).toString('base64')).toBe(KEY28);
    // A plain answer to it is refused: the session ends with BYE rather than record in clear.
    expect(refusal(() => answer(offerSdp([{ profile: 'RTP/AVP' }]), required)).status).toBe(488);
  });

  it('offers plain RTP/AVP under optional', () => {
    const sdp = buildSdpOffer({
      address: '192.0.2.9',
      lines: [{ port: 40000, label: null }],
      sessionId: '1',
      sessionVersion: 1,
      codecs: builtInCodecPolicy,
      srtp: optional,
    });
    expect(parse(sdp).media[0]?.protocol).toBe('RTP/AVP');
    expect(sdp).not.toContain('a=crypto');
  });
});
