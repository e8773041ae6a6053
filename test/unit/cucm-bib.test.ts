import { describe, expect, it } from 'vitest';
import { chooseCallId } from '../../src/adapters/sip/call-id-source.js';
import { readCucmBib, recordedLegOf, withCucmBib } from '../../src/adapters/sip/cucm-bib.js';
import { parseSipMessage } from '../../src/adapters/sip/sip-parser.js';
import type { SipRequest } from '../../src/adapters/sip/sip-message.js';
import { sessionInfoFrom } from '../../src/adapters/siprec/siprec-session-info.js';
import { inviteHeaderRecord } from '../../src/adapters/sip/invite-acceptor.js';

// The From headers of a CUCM 10.5 Built-in-Bridge recording (one per dialog), as a CUCM trace
// shows them; only x-nearend / x-farend and the tag differ.
const params =
  'x-refci=38960750;x-nearendclusterid=glenscucm10-5;x-nearenddevice=sep001795bdd16b;x-nearendaddr=9110001;' +
  'x-farendrefci=38960749;x-farendclusterid=glenscucm10-5;x-farenddevice=sep0018195aa209;x-farendaddr=9110006';
const nearFrom = `<sip:9110001@10.48.32.90;x-nearend;${params}>;tag=73601~713e2333-38960754`;
const farFrom = `<sip:9110001@10.48.32.90;x-farend;${params}>;tag=73602~713e2333-38960757`;

function invite(from: string, extra: string[] = []): SipRequest {
  const text = [
    'INVITE sip:8675309@10.48.32.170:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 10.48.32.90:5060;branch=z9hG4bK204d520fedb3',
    `From: ${from}`,
    'To: <sip:8675309@10.48.32.170>',
    'Call-ID: abbb8e00-4291f775-204c-5a20300e@10.48.32.90',
    'CSeq: 101 INVITE',
    'Cisco-Guid: 2881195520-0000065536-0000000011-1512058894',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseSipMessage(Buffer.from(text)) as SipRequest;
}

describe('CUCM Built-in-Bridge From parameters', () => {
  it('reads the end, both parties and the pairing ids; both dialogs get one pair key', () => {
    const near = readCucmBib(nearFrom);
    const far = readCucmBib(farFrom);
    expect(near).toMatchObject({
      end: 'near',
      nearEnd: {
        refci: '38960750',
        addr: '9110001',
        device: 'sep001795bdd16b',
        clusterId: 'glenscucm10-5',
      },
      farEnd: { refci: '38960749', addr: '9110006', device: 'sep0018195aa209' },
    });
    expect(far?.end).toBe('far');
    if (near === null || far === null) throw new Error('not read');
    const nearLeg = recordedLegOf(near);
    expect(nearLeg).toEqual({
      pairKey: recordedLegOf(far).pairKey,
      end: 'near',
      nearEnd: { number: '9110001', device: 'sep001795bdd16b' },
      farEnd: { number: '9110006', device: 'sep0018195aa209' },
    });
  });

  it("accepts the Cisco guide's spacing and a far end without cluster ids or address", () => {
    const leg = readCucmBib(
      '<sip:2000@ucm1;x-farend;x-refci=ci2;x-nearenddevice=deviceB; x-farendrefci=ci1;x-farenddevice=deviceA>;tag=fromtag2',
    );
    expect(leg).toMatchObject({
      end: 'far',
      nearEnd: { refci: 'ci2', device: 'deviceB', addr: '' },
      farEnd: { refci: 'ci1', device: 'deviceA', addr: '' },
    });
  });

  it('is null for any other From: plain SIPREC, no x-refci, both or neither end marker, garbage', () => {
    expect(readCucmBib('<sip:+15551230001@10.0.0.1>;tag=a')).toBeNull();
    expect(readCucmBib('<sip:1@h;x-nearend;x-farendrefci=2>;tag=a')).toBeNull();
    expect(readCucmBib('<sip:1@h;x-nearend;x-farend;x-refci=1>;tag=a')).toBeNull();
    expect(readCucmBib('<sip:1@h;x-refci=1>;tag=a')).toBeNull();
    expect(readCucmBib('<not a uri')).toBeNull();
    // Parameters after the > belong to the header, not the URI.
    expect(readCucmBib('<sip:1@h>;x-nearend;x-refci=1;tag=a')).toBeNull();
  });

  it('keeps both parties and every x- parameter in the call record', () => {
    const leg = readCucmBib(nearFrom);
    if (leg === null) throw new Error('not read');
    const request = invite(nearFrom);
    const info = withCucmBib(sessionInfoFrom(null, inviteHeaderRecord(request)), leg);
    expect(info.dialect).toBe('cucm-bib');
    expect(info.participants).toEqual([
      {
        participantId: '38960750',
        aor: '9110001',
        name: 'sep001795bdd16b',
        sendLabels: ['near-end'],
      },
      {
        participantId: '38960749',
        aor: '9110006',
        name: 'sep0018195aa209',
        sendLabels: ['far-end'],
      },
    ]);
    expect(info.extensions).toMatchObject({
      'x-refci': '38960750',
      'x-farendrefci': '38960749',
      'x-nearend': '',
      'Cisco-Guid': '2881195520-0000065536-0000000011-1512058894',
    });
  });
});

describe('callIdSource cisco-guid', () => {
  const pick = (from: string, extra: string[] = []) => {
    const request = invite(from, extra);
    const leg = readCucmBib(from);
    const base = sessionInfoFrom(null, inviteHeaderRecord(request));
    const info = leg === null ? base : withCucmBib(base, leg);
    return chooseCallId('cisco-guid', request, 'sip-call-id', {
      metadata: null,
      extensions: info.extensions,
    });
  };

  it("prefers the recorded call's GUID from x-farendguid, then x-nearendguid", () => {
    const withGuids = nearFrom.replace(
      '>;tag',
      ';x-nearendguid=AAAA0000;x-farendguid=694646BC1D2311E7A8D2826ACB31D85A>;tag',
    );
    expect(pick(withGuids)).toEqual({
      callId: '694646BC1D2311E7A8D2826ACB31D85A',
      from: 'cisco-guid',
    });
    const nearOnly = nearFrom.replace('>;tag', ';x-nearendguid=AAAA0000>;tag');
    expect(pick(nearOnly).callId).toBe('AAAA0000');
  });

  it('else the Cisco-Guid header as sent, else the Call-ID', () => {
    expect(pick(nearFrom).callId).toBe('2881195520-0000065536-0000000011-1512058894');
    const request = invite('<sip:a@b>;tag=x');
    request.headers = request.headers.filter((h) => h.name.toLowerCase() !== 'cisco-guid');
    expect(
      chooseCallId('cisco-guid', request, 'sip-call-id', { metadata: null, extensions: {} }),
    ).toEqual({
      callId: 'sip-call-id',
      from: 'call-id',
    });
  });
});
