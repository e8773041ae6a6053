import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { readFileSync } from 'node:fs';
import { parse as parseSdp } from 'sdp-transform';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import { isAppError } from '../../src/domain/errors.js';
import { placeSiprecCall } from '../../src/sbc-sim/place-siprec-call.js';
import type { SbcSimEvent } from '../../src/sbc-sim/sbc-sim-events.js';
import {
  header,
  parseSipMessage,
  SipStreamFramer,
  type SipMessage,
} from '../../src/sbc-sim/sip-message.js';
import { extractSdp } from '../../src/sbc-sim/siprec-offer.js';

const callerAudio = readFileSync(
  new URL('../../samples/support-call/caller.pcmu', import.meta.url),
);
const agentAudio = readFileSync(new URL('../../samples/support-call/agent.pcmu', import.meta.url));

/** A minimal recorder: answers INVITE with a fixed two-port SDP, BYE with 200, and captures RTP. */
class LoopbackRecorder {
  readonly requests: SipMessage[] = [];
  readonly rtp: Buffer[][] = [[], []];
  readonly rtpSockets: Socket[] = [];
  inviteStatus = 200;
  dropFirstInvites = 0;
  private sip: Socket | null = null;
  private tcp: Server | null = null;
  private readonly tcpClients = new Set<TcpSocket>();
  sipPort = 0;

  async start(transport: 'udp' | 'tcp'): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const socket = createSocket('udp4');
      socket.on('message', (msg) => this.rtp[i]!.push(msg));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      this.rtpSockets.push(socket);
    }
    if (transport === 'udp') {
      const sip = createSocket('udp4');
      sip.on('message', (msg: Buffer, rinfo: RemoteInfo) =>
        this.handle(msg.toString('utf8'), (text) => sip.send(text, rinfo.port, rinfo.address)),
      );
      await new Promise<void>((resolve) => sip.bind(0, '127.0.0.1', () => resolve()));
      this.sip = sip;
      this.sipPort = sip.address().port;
    } else {
      this.tcp = createServer((conn) => {
        this.tcpClients.add(conn);
        conn.on('close', () => this.tcpClients.delete(conn));
        const framer = new SipStreamFramer();
        conn.on('data', (chunk: Buffer) => {
          for (const text of framer.push(chunk)) this.handle(text, (reply) => conn.write(reply));
        });
      });
      await new Promise<void>((resolve) => this.tcp!.listen(0, '127.0.0.1', () => resolve()));
      const address = this.tcp.address();
      this.sipPort = typeof address === 'object' && address ? address.port : 0;
    }
  }

  methods(): string[] {
    return this.requests.map((r) => r.method ?? '');
  }

  private handle(text: string, reply: (text: string) => void): void {
    const request = parseSipMessage(text);
    this.requests.push(request);
    if (request.method === 'ACK') return;
    if (request.method === 'INVITE' && this.dropFirstInvites > 0) {
      this.dropFirstInvites--;
      return;
    }
    const to = header(request, 'to') ?? '';
    const base = [
      ...(request.headers.get('via') ?? []).map((v) => `Via: ${v}`),
      `From: ${header(request, 'from')}`,
      `To: ${to.includes('tag=') ? to : `${to};tag=srs1`}`,
      `Call-ID: ${header(request, 'call-id')}`,
      `CSeq: ${header(request, 'cseq')}`,
    ];
    if (request.method !== 'INVITE') {
      reply(['SIP/2.0 200 OK', ...base, 'Content-Length: 0', '', ''].join('\r\n'));
      return;
    }
    reply(['SIP/2.0 100 Trying', ...base, 'Content-Length: 0', '', ''].join('\r\n'));
    if (this.inviteStatus !== 200) {
      reply(
        [`SIP/2.0 ${this.inviteStatus} Busy Here`, ...base, 'Content-Length: 0', '', ''].join(
          '\r\n',
        ),
      );
      return;
    }
    const sdp = [
      'v=0',
      'o=srs 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      ...this.rtpSockets.flatMap((s, i) => [
        `m=audio ${s.address().port} RTP/AVP 0`,
        'a=rtpmap:0 PCMU/8000',
        `a=label:${i + 1}`,
        'a=recvonly',
      ]),
      '',
    ].join('\r\n');
    reply(
      [
        'SIP/2.0 200 OK',
        ...base,
        `Contact: <sip:srs@127.0.0.1:${this.sipPort}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n'),
    );
  }

  async stop(): Promise<void> {
    for (const s of this.rtpSockets) s.close();
    this.sip?.close();
    for (const c of this.tcpClients) c.destroy();
    if (this.tcp) await new Promise<void>((resolve) => this.tcp!.close(() => resolve()));
  }
}

function rtpPayloads(packets: Buffer[]): { payload: Buffer; seq: number; ssrc: number }[] {
  return packets.map((buf) => {
    const r = parseRtpPacket(buf);
    if (!r.ok) throw new Error(r.reason);
    const { payloadOffset, payloadLength, sequenceNumber, ssrc } = r.packet;
    return {
      payload: buf.subarray(payloadOffset, payloadOffset + payloadLength),
      seq: sequenceNumber,
      ssrc,
    };
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('sbc-sim against a loopback SIP responder', () => {
  let recorder: LoopbackRecorder;

  afterEach(async () => {
    await recorder.stop();
  });

  it.each(['udp', 'tcp'] as const)(
    'puts INVITE, ACK, RTP on both streams and BYE on the wire over %s',
    async (transport) => {
      recorder = new LoopbackRecorder();
      await recorder.start(transport);
      // Over UDP the first INVITE is "lost", so the simulator must retransmit it.
      if (transport === 'udp') recorder.dropFirstInvites = 1;
      const events: SbcSimEvent[] = [];
      const result = await placeSiprecCall({
        target: { host: '127.0.0.1', port: recorder.sipPort },
        transport,
        callId: `loopback-${transport}`,
        fromNumber: '+15550001111',
        toNumber: '+15550002222',
        callerAudio,
        agentAudio,
        durationMs: 300,
        onEvent: (e) => events.push(e),
      });

      expect(result.callId).toBe(`loopback-${transport}`);
      expect(result.answerPorts).toEqual(recorder.rtpSockets.map((s) => s.address().port));
      expect(result.packetsSent).toBe(30);
      expect(recorder.methods()).toEqual([
        ...(transport === 'udp' ? ['INVITE'] : []),
        'INVITE',
        'ACK',
        'BYE',
      ]);

      const [invite, ack, bye] = recorder.requests.slice(-3) as [
        SipMessage,
        SipMessage,
        SipMessage,
      ];
      const via = header(invite, 'via') ?? '';
      expect(via).toMatch(
        new RegExp(`^SIP/2\\.0/${transport.toUpperCase()} 127\\.0\\.0\\.1:\\d+;branch=z9hG4bK\\w+`),
      );
      expect(header(invite, 'from')).toMatch(/^<sip:\+15550001111@[^>]+>;tag=\w+$/);
      expect(header(invite, 'to')).toMatch(/^<sip:\+15550002222@/);
      expect(header(invite, 'cseq')).toBe('1 INVITE');
      expect(header(invite, 'contact')).toMatch(/;\+sip\.src$/);
      expect(header(invite, 'require')).toBe('siprec');
      expect(Number(header(invite, 'content-length'))).toBe(Buffer.byteLength(invite.body));
      const sdp = parseSdp(extractSdp(header(invite, 'content-type') ?? '', invite.body) ?? '');
      expect(sdp.media.map((m) => [m.label, m.direction, m.rtp[0]?.codec])).toEqual([
        [1, 'sendonly', 'PCMU'],
        [2, 'sendonly', 'PCMU'],
      ]);
      expect(invite.body).toContain('application/rs-metadata+xml');
      expect(invite.body.match(/<participantstreamassoc /g)).toHaveLength(2);
      expect(invite.body).toContain('aor="sip:+15550001111@');

      expect(header(ack, 'cseq')).toBe('1 ACK');
      expect(header(ack, 'to')).toContain('tag=srs1');
      expect(ack.requestUri).toBe(`sip:srs@127.0.0.1:${recorder.sipPort}`);
      expect(header(ack, 'via')).not.toBe(via);
      expect(header(bye, 'cseq')).toBe('2 BYE');
      expect(header(bye, 'from')).toBe(header(invite, 'from'));

      await until(
        () => recorder.rtp[0]!.length === 15 && recorder.rtp[1]!.length === 15,
        'all RTP',
      );
      for (const [i, audio] of [callerAudio, agentAudio].entries()) {
        const packets = rtpPayloads(recorder.rtp[i]!);
        expect(
          Buffer.concat(packets.map((p) => p.payload)).equals(audio.subarray(0, 15 * 160)),
        ).toBe(true);
        expect(packets.map((p) => (p.seq - packets[0]!.seq) & 0xffff)).toEqual([
          ...Array(15).keys(),
        ]);
        expect(new Set(packets.map((p) => p.ssrc)).size).toBe(1);
      }
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining([
          'invite-sent',
          'response',
          'answered',
          'media-started',
          'bye-sent',
          'ended',
        ]),
      );
    },
  );

  it('reports a refused INVITE with SIP_REQUEST_FAILED after acknowledging it', async () => {
    recorder = new LoopbackRecorder();
    await recorder.start('udp');
    recorder.inviteStatus = 486;
    const error = await placeSiprecCall({
      target: { host: '127.0.0.1', port: recorder.sipPort },
      transport: 'udp',
      callerAudio,
      agentAudio,
    }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('SIP_REQUEST_FAILED');
    await until(() => recorder.methods().includes('ACK'), 'ACK for the 486');
    const ack = recorder.requests.find((r) => r.method === 'ACK')!;
    const invite = recorder.requests.find((r) => r.method === 'INVITE')!;
    expect(header(ack, 'via')).toBe(header(invite, 'via'));
  });

  it('hangs up with BYE when aborted while streaming', async () => {
    recorder = new LoopbackRecorder();
    await recorder.start('tcp');
    const controller = new AbortController();
    const placing = placeSiprecCall({
      target: { host: '127.0.0.1', port: recorder.sipPort },
      transport: 'tcp',
      callerAudio,
      agentAudio,
      loop: true,
      signal: controller.signal,
    });
    // Both legs stream on their own timers, so under load one may lag the other by a packet.
    await until(
      () => recorder.rtp[0]!.length >= 5 && recorder.rtp[1]!.length >= 5,
      'some RTP on both legs',
    );
    controller.abort();
    const result = await placing;
    expect(recorder.methods()).toEqual(['INVITE', 'ACK', 'BYE']);
    const received = recorder.rtp[0]!.length + recorder.rtp[1]!.length;
    expect(result.packetsSent).toBeGreaterThanOrEqual(Math.max(10, received));
  });
});
