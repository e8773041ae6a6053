import { describe, expect, it } from 'vitest';
import type { SbcProfile } from '../../src/config/schema.js';
import { isAppError } from '../../src/domain/errors.js';
import { mapChannels } from '../../src/adapters/siprec/channel-mapping.js';
import { splitMultipart } from '../../src/adapters/siprec/multipart.js';
import { numberFromAor } from '../../src/adapters/siprec/number-from-aor.js';
import { parseSiprecOffer } from '../../src/adapters/siprec/siprec-offer.js';
import { ucidFromUserToUser } from '../../src/adapters/siprec/user-to-user.js';
import { loadFixture } from '../fixtures/siprec/load-fixture.js';

const profile = (overrides: Partial<SbcProfile>): SbcProfile => ({
  name: 'test',
  matchSourceCidrs: [],
  mappingRule: 'metadata',
  firstLabelIs: 'CALLER',
  ...overrides,
});

const unknownVendor = loadFixture('90-unknown-vendor-bare-lf-invite.txt');
const unknownOffer = parseSiprecOffer(unknownVendor.contentType, unknownVendor.body);

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return isAppError(error) ? [error.code, error.details['status']] : error;
  }
  return 'no error';
}

describe('channel mapping rules', () => {
  it('label-order profile: the first recordable m-line is the caller, and numbers follow the streams', () => {
    const result = mapChannels({
      offer: unknownOffer,
      profile: profile({ mappingRule: 'label-order' }),
    });
    expect(result.mapping).toMatchObject({
      callerStreamLabel: 'out',
      agentStreamLabel: 'in',
      rule: 'label-order',
    });
    expect([result.fromNumber, result.toNumber]).toEqual(['agent.1001', '+442079460958']);
  });

  it('label-order profile with firstLabelIs AGENT swaps (Sonus puts the callee on label 1)', () => {
    const result = mapChannels({
      offer: unknownOffer,
      profile: profile({ mappingRule: 'label-order', firstLabelIs: 'AGENT' }),
    });
    expect(result.mapping).toMatchObject({
      callerStreamLabel: 'in',
      agentStreamLabel: 'out',
      rule: 'label-order',
    });
  });

  it('agent-aor-pattern profile picks the agent by AOR; a pattern matching nobody falls back to metadata', () => {
    const matched = mapChannels({
      offer: loadOffer('10-audiocodes-mediant-7.20A-invite.txt'),
      profile: profile({ mappingRule: 'agent-aor-pattern', agentAorPattern: '^\\+1888' }),
    });
    expect(matched.mapping).toMatchObject({
      callerStreamLabel: '2',
      agentStreamLabel: '1',
      rule: 'agent-aor-pattern',
    });
    expect([matched.fromNumber, matched.toNumber]).toEqual(['+17777777777', '+18888888888']);
    const unmatched = mapChannels({
      offer: loadOffer('10-audiocodes-mediant-7.20A-invite.txt'),
      profile: profile({ mappingRule: 'agent-aor-pattern', agentAorPattern: 'nobody' }),
    });
    expect(unmatched.mapping.rule).toBe('metadata-participant-order');
  });

  it('without metadata: label-order, or single-stream for one m-line', () => {
    const two =
      'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=label:20\r\nm=audio 5002 RTP/AVP 0\r\na=label:10\r\n';
    const result = mapChannels({ offer: parseSiprecOffer('application/sdp', two) });
    expect(result.mapping).toMatchObject({
      callerStreamLabel: '20',
      agentStreamLabel: '10',
      rule: 'label-order',
    });
    expect([result.fromNumber, result.toNumber]).toEqual(['', '']);
    const one = two.split('m=audio 5002')[0] ?? '';
    expect(mapChannels({ offer: parseSiprecOffer('application/sdp', one) }).mapping).toMatchObject({
      callerStreamLabel: '20',
      agentStreamLabel: null,
      rule: 'single-stream',
    });
  });
});

describe('body handling', () => {
  it('refuses unsupported bodies with 415 and unreadable SDP with 400', () => {
    expect(codeOf(() => parseSiprecOffer('text/plain', 'hello'))).toEqual([
      'SIPREC_BODY_INVALID',
      415,
    ]);
    expect(
      codeOf(() =>
        parseSiprecOffer(
          'multipart/mixed;boundary=b',
          '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--',
        ),
      ),
    ).toEqual(['SIPREC_BODY_INVALID', 415]);
    expect(codeOf(() => parseSiprecOffer('application/sdp', 'not sdp at all'))).toEqual([
      'SIPREC_BODY_INVALID',
      400,
    ]);
    expect(codeOf(() => splitMultipart('multipart/mixed', '--b\r\n\r\nx'))).toEqual([
      'SIPREC_BODY_INVALID',
      undefined,
    ]);
    expect(
      codeOf(() => splitMultipart('multipart/mixed; boundary=b', 'no delimiter here')),
    ).toEqual(['SIPREC_BODY_INVALID', undefined]);
  });

  it('splits RFC 2046 bodies: quoted boundary, preamble, epilogue, padding, any header case, bodies untouched', () => {
    const parts = splitMultipart(
      'Multipart/Mixed; charset=utf-8 ; BOUNDARY="=_Part 90:x+y\'(z)" ; x-extra=1',
      unknownVendor.body,
    );
    expect(parts.map((p) => p.contentType)).toEqual([
      'text/plain',
      'application/rs-metadata+xml',
      'application/sdp',
    ]);
    expect(parts[0]?.headers).toEqual({
      'content-disposition': 'render',
      'content-type': 'text/plain',
    });
    expect(parts[0]?.body).toBe('call note: the first part is neither SDP nor metadata');
    expect(parts[2]?.body.endsWith('a=sendonly')).toBe(true);
    const crlf = splitMultipart(
      'multipart/mixed;boundary=b',
      'pre\r\n--b\r\nContent-Type: a/b\r\n\r\nline1\nline2\r\n\r\n--b--\r\nepilogue',
    );
    expect(crlf).toEqual([
      { headers: { 'content-type': 'a/b' }, contentType: 'a/b', body: 'line1\nline2\r\n' },
    ]);
    // No close delimiter (SEMS fixture): the last part runs to the end.
    expect(
      splitMultipart('multipart/mixed;boundary=b', '--b\nContent-Type: a/b\n\ntail\n')[0]?.body,
    ).toBe('tail\n');
    // A longer token that merely starts with the boundary is content, not a delimiter.
    expect(
      splitMultipart('multipart/mixed;boundary=b', '--b\n\n--bx\n--b--').map((p) => p.body),
    ).toEqual(['--bx']);
  });
});

describe('numberFromAor', () => {
  it.each([
    ['sip:+15551234@example.com', '+15551234'],
    ['sips:+15551234@example.com;user=phone', '+15551234'],
    ['<sip:7711@10.155.7.148;user=phone>', '7711'],
    ['tel:+1-555-0100;phone-context=example.com', '+15550100'],
    ['+18888888888@fakeip.com', '+18888888888'],
    ['7602922411', '7602922411'],
    ['Extension-016190619@speechpath.ie', 'Extension-016190619'],
    ['sip: 7774442212 @10.104.54.52', '7774442212'],
    ['sip:%2B4420@example.com', '+4420'],
    ['sip:10.0.0.31;user=phone', ''],
    ['', ''],
    [null, ''],
  ])('%s → %s', (aor, number) => {
    expect(numberFromAor(aor)).toBe(number);
  });
});

describe('User-to-User UCID', () => {
  it('decodes the Avaya UCID and ignores other payloads', () => {
    expect(
      ucidFromUserToUser(
        '04FA080047353A660FF5A7C8143030303731313336323631373132333231393539;encoding=hex',
      ),
    ).toBe('00071136261712321959');
    expect(ucidFromUserToUser('04C8023132;encoding=hex')).toBe('12');
    expect(ucidFromUserToUser('hello;encoding=ascii')).toBeNull();
    expect(ucidFromUserToUser('00FA08')).toBeNull();
  });
});

function loadOffer(name: Parameters<typeof loadFixture>[0]) {
  const message = loadFixture(name);
  return parseSiprecOffer(message.contentType, message.body);
}
