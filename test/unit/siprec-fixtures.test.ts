import { describe, expect, it } from 'vitest';
import { mapChannels } from '../../src/adapters/siprec/channel-mapping.js';
import {
  parseRecordingMetadata,
  type MetadataDialect,
} from '../../src/adapters/siprec/rs-metadata.js';
import { sessionInfoFrom } from '../../src/adapters/siprec/siprec-session-info.js';
import { parseSiprecOffer, type OfferedStream } from '../../src/adapters/siprec/siprec-offer.js';
import {
  cubeByeMetadata,
  cubeDocInvite,
  fixtureNames,
  loadFixture,
  type FixtureName,
} from '../fixtures/siprec/load-fixture.js';

type StreamRow = [
  label: string,
  port: number,
  direction: OfferedStream['direction'],
  codecs: string,
];
type ParticipantRow = [
  aor: string | null,
  name: string | null,
  sendLabels: string,
  role: 'CALLER' | 'AGENT' | null,
];

interface Expected {
  streams: StreamRow[];
  dialect: MetadataDialect;
  lenient: boolean;
  sessionId: string;
  participants: ParticipantRow[];
  rule: string;
  callerLabel: string | null;
  agentLabel: string | null;
  roles: string;
  fromNumber: string;
  toNumber: string;
  extensions: Record<string, string>;
}

const oracleInactive = '0:PCMU/8000 8:PCMA/8000 18:G729/8000 4:G723/8000 9:G722/8000 100:/0 101:/0';
const te = (pt: number): string => `${pt}:TELEPHONE-EVENT/8000`;

/** Written by reading each fixture; `codecs` is `pt:NAME/clock` in offer order, `roles` label=role per m-line. */
const expected: Record<FixtureName, Expected> = {
  '01-oracle-acme-sbc-genesys-4streams-invite.txt': {
    streams: [
      ['1006644281', 43810, 'sendonly', `0:PCMU/8000 ${te(101)}`],
      ['1006644282', 43814, 'inactive', oracleInactive],
      ['1006644283', 43818, 'sendonly', `0:PCMU/8000 ${te(101)}`],
      ['1006644284', 43822, 'inactive', oracleInactive],
    ],
    dialect: 'legacy-draft',
    lenient: true,
    sessionId: 'Vu4qFY9ESUlyq9aGK4UvmA==',
    participants: [
      ['sip:Genesys@10.28.70.121', 'Genesys', '1006644281 1006644283', 'CALLER'],
      [
        'sip:record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19@127.0.0.1',
        'record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19',
        '1006644282 1006644284',
        'AGENT',
      ],
    ],
    rule: 'metadata-role-hint',
    callerLabel: '1006644281',
    agentLabel: '1006644282',
    roles: '1006644281=CALLER 1006644282=AGENT 1006644283=CALLER 1006644284=AGENT',
    fromNumber: 'Genesys',
    toNumber: 'record=01PEP83ES8B0FC7QD151Q2LAES00022M_2024-04-05_12-59-19',
    extensions: {
      'apkt:ucid': '00473539660FF5A7',
      ucid: '00473539660FF5A7',
      'apkt:callerOrig': 'true',
      'participant.1.apkt:callingParty': 'true',
      'participant.2.apkt:callingParty': 'false',
      'participant.1.apkt:realm': 'OMNI_MH_Ingress',
      'participant.1.apkt:header.Call-ID':
        'wlss-9df06dac-AC565000-947B-5BFE-1ECF-88D28E4B0995-7094@10.28.70.121',
    },
  },
  '07-sems-sbc-body.txt': {
    streams: [
      ['a_leg', 12654, 'sendonly', '8:PCMA/8000'],
      ['b_leg', 12686, 'sendonly', '8:PCMA/8000'],
    ],
    dialect: 'rfc7865',
    lenient: false,
    sessionId: 'ho9aUhEQTRS+31th7sHStA==',
    participants: [
      ['sip:016190200@87.252.209.116', '016190200', 'a_leg', null],
      ['Extension-016190619@speechpath.ie', 'Speechpath-Main-Line 016190619', 'b_leg', null],
    ],
    rule: 'metadata-participant-order',
    callerLabel: 'a_leg',
    agentLabel: 'b_leg',
    roles: 'a_leg=CALLER b_leg=AGENT',
    fromNumber: '016190200',
    toNumber: 'Extension-016190619',
    extensions: {},
  },
  '10-audiocodes-mediant-7.20A-invite.txt': {
    streams: [
      ['1', 7232, 'sendonly', `0:PCMU/8000 ${te(101)}`],
      ['2', 7236, 'sendonly', `0:PCMU/8000 ${te(101)}`],
    ],
    dialect: 'legacy-draft',
    lenient: false,
    sessionId: '0000-0000-0000-0000-bf41fa8f111f3e43',
    participants: [
      ['+18888888888@fakeip.com', null, '1', null],
      ['+17777777777@fakeip.com', null, '2', null],
    ],
    rule: 'metadata-participant-order',
    callerLabel: '1',
    agentLabel: '2',
    roles: '1=CALLER 2=AGENT',
    fromNumber: '+18888888888',
    toNumber: '+17777777777',
    extensions: {},
  },
  '11-cisco-cube-ios16.10-invite-and-bye.txt': {
    streams: [
      ['1', 8086, 'sendonly', `0:PCMU/8000 ${te(101)} 19:CN/8000`],
      ['2', 8088, 'sendonly', `0:PCMU/8000 ${te(101)} 19:CN/8000`],
    ],
    dialect: 'rfc7865',
    lenient: false,
    sessionId: 'MIgZ2nTLEemWFaQi1vyb4Q==',
    participants: [
      ['sip:1234@10.0.0.15', null, '1', null],
      ['sip:911@209.165.201.1', 'Emergency', '2', null],
    ],
    rule: 'metadata-participant-order',
    callerLabel: '1',
    agentLabel: '2',
    roles: '1=CALLER 2=AGENT',
    fromNumber: '1234',
    toNumber: '911',
    extensions: {},
  },
  '14-cisco-webex-calling-broadworks-invite.txt': {
    streams: [
      [
        '1',
        20000,
        'sendonly',
        `111:OPUS/48000 ${te(101)} 0:PCMU/8000 8:PCMA/8000 9:G722/8000 107:TELEPHONE-EVENT/48000`,
      ],
    ],
    dialect: 'broadworks',
    lenient: false,
    sessionId: 'urn:uuid:2b779b67-cfb6-44d2-9640-c00bdb32a572',
    participants: [
      ['sip:kculs9klre@44936045.int10.bcld.webex.com', null, '1', 'AGENT'],
      // Its stream (label 2) is not in this mono SDP.
      ['sip:7711@10.155.7.148;user=phone', null, '2', 'CALLER'],
    ],
    rule: 'single-stream',
    callerLabel: '1',
    agentLabel: null,
    roles: '1=CALLER',
    fromNumber: '7711',
    toNumber: 'kculs9klre',
    extensions: {
      callType: 'terminating',
      'broadworks:userID': 'kculs9klre@44936045.int10.bcld.webex.com',
      'broadworks:callID': 'callhalf-36451339:0',
      'broadworks:extTrackingID': '45a32b36-2a6a-4ec1-9cf3-47824099fcd4',
      'broadworks:callType.termCall.callingPartyNumber': 'sip:7711@10.155.7.148;user=phone',
    },
  },
  '15-rfc8068-style-example-via-aws-chime-docs.txt': {
    streams: [
      ['96', 49170, 'sendonly', '0:PCMU/8000'],
      ['97', 49174, 'sendonly', '96:H.264/90000'],
      ['98', 51372, 'sendonly', '0:PCMU/8000'],
      ['99', 49176, 'sendonly', '96:H.264/90000'],
    ],
    dialect: 'rfc7865',
    lenient: true,
    sessionId: 'hVpd7YQgRW2nD22h7q60JQ==',
    participants: [
      // '<naSRCme xml:lang="it">Alice</name>' in the AWS copy: the name is lost, the rest survives.
      ['sip:alice@atlanta.com', null, '97 96', null],
      ['sip:bob@biloxy.com', 'Bob', '98 99', null],
    ],
    rule: 'metadata-participant-order',
    callerLabel: '96',
    agentLabel: '98',
    roles: '96=CALLER 97=- 98=AGENT 99=-',
    fromNumber: 'alice',
    toNumber: 'bob',
    extensions: {
      'call-center.supervisor': 'sip:alice@atlanta.com',
      'mydata.structure': 'structure!',
      'participant.2.mydata.whatever': 'bar',
    },
  },
  '90-unknown-vendor-bare-lf-invite.txt': {
    streams: [
      ['cam', 30000, 'sendonly', '96:VP8/90000'],
      ['out', 30002, 'sendonly', `18:G729/8000 8:PCMA/8000 ${te(101)}`],
      ['in', 30004, 'sendonly', '8:PCMA/8000 0:PCMU/8000'],
      ['g729only', 30006, 'sendonly', '18:G729/8000'],
    ],
    // Unknown namespace: the RFC 7865 attribute style (participant_id) decides.
    dialect: 'rfc7865',
    lenient: false,
    sessionId: 'U2Vzc2lvbi05MA==',
    participants: [
      ['tel:+44-20-7946-0958;phone-context=+44', 'Customer & Co', 'in', null],
      ['sip:agent.1001@cc.example.com', null, 'out', null],
    ],
    rule: 'metadata-participant-order',
    callerLabel: 'in',
    agentLabel: 'out',
    roles: 'cam=- out=AGENT in=CALLER g729only=-',
    fromNumber: '+442079460958',
    toNumber: 'agent.1001',
    extensions: {
      'v:tenant': 'acme',
      'participant.1.v:loyaltyTier': 'gold',
      'v:whatever.v:deep.v:deeper': '1',
    },
  },
};

describe('SIPREC vendor fixtures', () => {
  describe.each(fixtureNames)('%s', (name) => {
    const want = expected[name];
    const message = loadFixture(name);
    const offer = parseSiprecOffer(message.contentType, message.body);

    it('parses every m-line: label, port, direction, codecs', () => {
      expect(offer.isSiprec).toBe(true);
      expect(offer.streams.map((s) => s.index)).toEqual(want.streams.map((_, i) => i));
      expect(
        offer.streams.map((s): StreamRow => [
          s.label,
          s.port,
          s.direction,
          s.codecs.map((c) => `${c.payloadType}:${c.name}/${c.clockRateHz}`).join(' '),
        ]),
      ).toEqual(want.streams);
    });

    it('reads dialect, session and participants', () => {
      const metadata = offer.metadata;
      expect(metadata).not.toBeNull();
      if (metadata === null) return;
      expect(metadata.dialect).toBe(want.dialect);
      expect(metadata.lenient).toBe(want.lenient);
      expect(metadata.sessionId).toBe(want.sessionId);
      const labelOf = new Map(metadata.streams.map((s) => [s.streamId, s.label]));
      expect(
        metadata.participants.map((p): ParticipantRow => [
          p.aor,
          p.name,
          p.sendStreamIds.map((id) => labelOf.get(id) ?? `?${id}`).join(' '),
          p.roleHint,
        ]),
      ).toEqual(want.participants);
      expect(metadata.extensions).toMatchObject(want.extensions);
    });

    it('maps caller and agent by a recorded rule, with numbers', () => {
      const result = mapChannels({ offer });
      expect(result.mapping).toEqual({
        callerStreamLabel: want.callerLabel,
        agentStreamLabel: want.agentLabel,
        rule: want.rule,
        swappedByHook: false,
      });
      expect(result.streams.map((s) => `${s.label}=${s.role ?? '-'}`).join(' ')).toBe(want.roles);
      expect([result.fromNumber, result.toNumber]).toEqual([want.fromNumber, want.toNumber]);
      expect(result.direction).toBe('Inbound');
    });
  });

  it('keeps metadata extensions and INVITE correlation headers in the session info (Oracle, fixture 01)', () => {
    const message = loadFixture('01-oracle-acme-sbc-genesys-4streams-invite.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const info = sessionInfoFrom(offer.metadata, message.headers);
    expect(info.dialect).toBe('legacy-draft');
    expect(info.participants.map((p) => p.sendLabels)).toEqual([
      ['1006644281', '1006644283'],
      ['1006644282', '1006644284'],
    ]);
    expect(info.extensions).toMatchObject({
      ucid: '00473539660FF5A7',
      'Cisco-Gucid': '00071136261712321959',
      // Avaya UCID in User-to-User: node 0x0047, sequence 0x353A, timestamp 0x660FF5A7.
      'uui:ucid': '00071136261712321959',
    });
    expect(info.userAgent).toBeNull();
  });

  it('keeps Cisco Session-ID, Cisco-Guid, sipSessionID and the User-Agent (CUBE, fixture 11)', () => {
    const message = loadFixture('11-cisco-cube-ios16.10-invite-and-bye.txt');
    const offer = parseSiprecOffer(message.contentType, message.body);
    const info = sessionInfoFrom(offer.metadata, message.headers);
    expect(info.extensions).toEqual({
      'Session-ID': 'a62dd6d8be0059c38d142bae9b46880b;remote=00000000000000000000000000000000',
      'Cisco-Guid': '0802710458-1959465449-2686421522-1015028268',
      sipSessionID: 'a0b9b2a1e4db51f082e777c0df9015e5;remote=6bea155500105000a0002c31246a214b',
    });
    expect(info.userAgent).toBe('Cisco-SIPGateway/IOS-16.10.2');
    expect(sessionInfoFrom(null, {}).dialect).toBe('none');
  });

  it('reads the CUBE INVITE as the doc renders it: no blank line after part headers, split end tag', () => {
    const { headers, body } = cubeDocInvite();
    const offer = parseSiprecOffer(headers['Content-Type'] ?? '', body);
    expect(offer.streams.map((s) => s.label)).toEqual(['1', '2']);
    expect(offer.metadata?.lenient).toBe(true);
    expect(offer.metadata?.participants.map((p) => p.aor)).toEqual([
      'sip:1234@10.0.0.15',
      'sip:911@209.165.201.1',
    ]);
    expect(mapChannels({ offer }).mapping.rule).toBe('metadata-participant-order');
  });

  it('reads the CUBE BYE metadata with its malformed "< disassociate-time >" tags', () => {
    const metadata = parseRecordingMetadata(cubeByeMetadata());
    expect(metadata.lenient).toBe(true);
    expect(metadata.sessionId).toBe('t5nW8RM6EeWACN4iOrLrag==');
    expect(metadata.participants.map((p) => p.aor)).toEqual([
      'sip: 7774442212 @10.104.54.52',
      'sip: 7774442214 @10.104.54.52',
    ]);
  });

  it('flags the BroadWorks originating side as an outbound call with the recorded user as agent', () => {
    const message = loadFixture('14-cisco-webex-calling-broadworks-invite.txt');
    const body = message.body
      .replace(/termCall>/g, 'origCall>')
      .replace(
        'sip:7711@10.155.7.148;user=phone</callingPartyNumber>',
        'sip:kculs9klre@44936045.int10.bcld.webex.com</callingPartyNumber>',
      )
      .replace(
        'sip:+12102298592@10.155.7.148</calledPartyNumber>',
        'sip:7711@10.155.7.148</calledPartyNumber>',
      );
    const offer = parseSiprecOffer(message.contentType, body);
    expect(offer.metadata?.participants.map((p) => p.roleHint)).toEqual(['AGENT', 'CALLER']);
    expect(offer.metadata?.extensions['callType']).toBe('originating');
    const result = mapChannels({ offer });
    expect(result.direction).toBe('Outbound');
    expect([result.fromNumber, result.toNumber]).toEqual(['7711', 'kculs9klre']);
  });
});
