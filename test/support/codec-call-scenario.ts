/**
 * A sipp SRC scenario for the codec tests: a SIPREC INVITE with two m-lines offering the given
 * formats, then media phases. sipp's play_pcap_audio replays the caller pcap to the first
 * m-line; the agent pcap goes to the second through test/sipp/replay-pcap.mjs. A phase after
 * the first starts with a re-INVITE offering its own formats, whose 200 OK must name a codec.
 *
 * The XML is written per test because play_pcap_audio takes a literal path.
 */
export interface CodecCallPhase {
  callerPcap: string;
  agentPcap: string;
  /** How long sipp waits for this phase's media before the next step. */
  durationMs: number;
  /** For phases after the first: the re-INVITE's m-line formats and what its answer must list. */
  reinvite?: { formats: string; answerMustList: string };
}

/** Every rtpmap the scenarios may offer; only the formats on the m-line count. */
const RTPMAPS = [
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 useinbandfec=1',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
];

/** SDES-SRTP offers (RFC 4568): the m-lines' profile and each one's `a=crypto` value. */
export interface SrtpOffer {
  profile: 'RTP/SAVP' | 'RTP/SAVPF';
  crypto: [caller: string, agent: string];
}

function sdp(formats: string, version: number, srtp?: SrtpOffer): string {
  const mLine = (port: string, label: 1 | 2) => [
    `m=audio ${port} ${srtp?.profile ?? 'RTP/AVP'} ${formats}`,
    ...(srtp === undefined ? [] : [`a=crypto:${srtp.crypto[label - 1]}`]),
    ...RTPMAPS,
    `a=label:${label}`,
    'a=sendonly',
  ];
  return [
    'v=0',
    `o=SRC 4711 ${version} IN IP4 [media_ip]`,
    's=callscribe codec test',
    'c=IN IP4 [media_ip]',
    't=0 0',
    ...mLine('[media_port]', 1),
    ...mLine('[media_port+2]', 2),
  ].join('\n      ');
}

const METADATA = `<?xml version="1.0" encoding="UTF-8"?>
      <recording xmlns="urn:ietf:params:xml:ns:recording:1">
      <datamode>complete</datamode>
      <session session_id="Y29kZWMtdGVzdA=="><start-time>2026-01-01T10:00:00Z</start-time></session>
      <participant participant_id="Y2FsbGVy"><nameID aor="sip:+15551230001@carrier.example.net"/></participant>
      <participant participant_id="YWdlbnQ="><nameID aor="sip:agent1001@cc.example.com"/></participant>
      <stream stream_id="czE=" session_id="Y29kZWMtdGVzdA=="><label>1</label></stream>
      <stream stream_id="czI=" session_id="Y29kZWMtdGVzdA=="><label>2</label></stream>
      <participantstreamassoc participant_id="Y2FsbGVy"><send>czE=</send><recv>czI=</recv></participantstreamassoc>
      <participantstreamassoc participant_id="YWdlbnQ="><send>czI=</send><recv>czE=</recv></participantstreamassoc>
      </recording>`;

function headers(method: string, cseq: number, withTag: boolean): string {
  return [
    `${method} sip:srs@[remote_ip]:[remote_port] SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    'From: "Recording SBC" <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]',
    `To: <sip:srs@[remote_ip]:[remote_port]>${withTag ? '[peer_tag_param]' : ''}`,
    'Call-ID: [call_id]',
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:src@[local_ip]:[local_port];transport=[transport]>;+sip.src',
    'Max-Forwards: 70',
  ].join('\n      ');
}

function offer(
  method: 'INVITE',
  cseq: number,
  formats: string,
  version: number,
  srtp?: SrtpOffer,
): string {
  return `  <send retrans="500">
    <![CDATA[
      ${headers(method, cseq, cseq > 1)}
      ${cseq === 1 ? 'Require: siprec\n      ' : ''}Content-Type: multipart/mixed;boundary=codec-boundary
      Content-Length: [len]

      --codec-boundary
      Content-Type: application/sdp

      ${sdp(formats, version, srtp)}

      --codec-boundary
      Content-Type: application/rs-metadata+xml
      Content-Disposition: recording-session

      ${METADATA}
      --codec-boundary--
    ]]>
  </send>
  <recv response="100" optional="true"/>`;
}

function ack(cseq: number): string {
  return `  <send>
    <![CDATA[
      ${headers('ACK', cseq, true)}
      Content-Length: 0
    ]]>
  </send>`;
}

function media(phase: CodecCallPhase, replayScript: string): string {
  return `  <nop>
    <action>
      <exec play_pcap_audio="${phase.callerPcap}"/>
      <exec command="node ${replayScript} [$srs_ip] [$srs_port2] ${phase.agentPcap}"/>
    </action>
  </nop>
  <pause milliseconds="${phase.durationMs}"/>`;
}

export function codecCallScenario(options: {
  formats: string;
  phases: CodecCallPhase[];
  replayScript: string;
  /** An SRTP call: the offer's profile and keys; the 200 OK must match `answerMustMatch`. */
  srtp?: SrtpOffer & { answerMustMatch: string };
}): string {
  const steps: string[] = [
    offer('INVITE', 1, options.formats, 1, options.srtp),
    `  <recv response="200" rtd="true">
    <action>${
      options.srtp === undefined
        ? ''
        : `
      <ereg regexp="${options.srtp.answerMustMatch}" search_in="body" check_it="true" assign_to="srtp_answer"/>`
    }
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="m1all,srs_port1"/>
      <ereg regexp="m=audio ([0-9]+).*m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="m2all,p1,srs_port2"/>
      <ereg regexp="c=IN IP4 ([0-9.]+)" search_in="body" check_it="true" assign_to="call,srs_ip"/>
    </action>
  </recv>
  <Reference variables="m1all,m2all,p1,call,srs_port1${options.srtp === undefined ? '' : ',srtp_answer'}"/>`,
    ack(1),
  ];
  options.phases.forEach((phase, i) => {
    if (i > 0) {
      const cseq = i + 1;
      const reinvite = phase.reinvite;
      if (!reinvite) throw new Error('phases after the first start with a re-INVITE');
      steps.push(
        offer('INVITE', cseq, reinvite.formats, cseq),
        `  <recv response="200">
    <action>
      <ereg regexp="${reinvite.answerMustList}" search_in="body" check_it="true" assign_to="listed${i}"/>
    </action>
  </recv>
  <Reference variables="listed${i}"/>`,
        ack(cseq),
      );
    }
    steps.push(media(phase, options.replayScript));
  });
  const byeCseq = options.phases.length + 1;
  steps.push(`  <send retrans="500">
    <![CDATA[
      ${headers('BYE', byeCseq, true)}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>`);
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="callscribe codec SRC">
${steps.join('\n')}
</scenario>
`;
}
