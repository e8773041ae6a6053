import type { SipHeader, SipRequest } from '../../../src/adapters/sip/sip-message.js';

export interface RequestSpec {
  method: string;
  callId: string;
  cseq: number;
  branch: string;
  transport: 'udp' | 'tcp';
  clientPort: number;
  fromTag?: string;
  toTag?: string;
  cseqMethod?: string;
  contentType?: string;
  body?: string | Buffer;
  headers?: SipHeader[];
}

/** A request as an SBC would send it from 127.0.0.1:clientPort. */
export function sipRequest(spec: RequestSpec): SipRequest {
  const headers: SipHeader[] = [
    {
      name: 'Via',
      value: `SIP/2.0/${spec.transport.toUpperCase()} 127.0.0.1:${spec.clientPort};branch=${spec.branch}`,
    },
    { name: 'Max-Forwards', value: '70' },
    {
      name: 'From',
      value: `<sip:src@127.0.0.1:${spec.clientPort}>;tag=${spec.fromTag ?? 'src-tag'}`,
    },
    {
      name: 'To',
      value: `<sip:srs@127.0.0.1>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    },
    { name: 'Call-ID', value: spec.callId },
    { name: 'CSeq', value: `${spec.cseq} ${spec.cseqMethod ?? spec.method}` },
    {
      name: 'Contact',
      value: `<sip:src@127.0.0.1:${spec.clientPort};transport=${spec.transport}>;+sip.src`,
    },
    ...(spec.contentType === undefined ? [] : [{ name: 'Content-Type', value: spec.contentType }]),
    ...(spec.headers ?? []),
  ];
  const body =
    spec.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(spec.body)
        ? spec.body
        : Buffer.from(spec.body);
  return { kind: 'request', method: spec.method, uri: 'sip:srs@127.0.0.1', headers, body };
}

/** A two-stream SIPREC offer (labels 1 and 2, PCMU) with RFC 7865 metadata. */
export function siprecBody(
  options: {
    mediaPort?: number;
    direction?: 'sendonly' | 'inactive';
    /** Replaces PCMU on both m-lines: the formats and their rtpmap lines. */
    audio?: { formats: string; rtpmaps: string[] };
  } = {},
): {
  contentType: string;
  body: string;
} {
  const port = options.mediaPort ?? 6000;
  const direction = options.direction ?? 'sendonly';
  const sdp = [
    'v=0',
    'o=SRC 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${options.audio?.formats ?? '0'} 101`,
    ...(options.audio?.rtpmaps ?? ['a=rtpmap:0 PCMU/8000']),
    'a=rtpmap:101 telephone-event/8000',
    'a=label:1',
    `a=${direction}`,
    `m=audio ${port + 2} RTP/AVP ${options.audio?.formats ?? '0'}`,
    ...(options.audio?.rtpmaps ?? ['a=rtpmap:0 PCMU/8000']),
    'a=label:2',
    `a=${direction}`,
    '',
  ].join('\r\n');
  const metadata = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '<datamode>complete</datamode>',
    '<session session_id="c2Vzc2lvbg=="><sipSessionID>ab30317f1a784dc48ff824d0d3715d86</sipSessionID></session>',
    '<participant participant_id="cA=="><nameID aor="sip:+15551230001@carrier.example.net"/></participant>',
    '<participant participant_id="cQ=="><nameID aor="sip:agent1001@cc.example.com"/></participant>',
    '<stream stream_id="czE=" session_id="c2Vzc2lvbg=="><label>1</label></stream>',
    '<stream stream_id="czI=" session_id="c2Vzc2lvbg=="><label>2</label></stream>',
    '<participantstreamassoc participant_id="cA=="><send>czE=</send></participantstreamassoc>',
    '<participantstreamassoc participant_id="cQ=="><send>czI=</send></participantstreamassoc>',
    '</recording>',
    '',
  ].join('\r\n');
  const body = [
    '--xyz',
    'Content-Type: application/sdp',
    '',
    sdp,
    '--xyz',
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata,
    '--xyz--',
    '',
  ].join('\r\n');
  return { contentType: 'multipart/mixed;boundary=xyz', body };
}
