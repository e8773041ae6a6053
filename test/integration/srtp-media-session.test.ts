import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import type { AcceptedStream, MediaSession } from '../../src/adapters/rtp/media-sessions.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import { SRTP_SUITE_NAMES, type SrtpKeying } from '../../src/adapters/srtp/srtp-suites.js';
import type { Channel } from '../../src/domain/call.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { decodeG711 } from '../../src/media/g711.js';
import { reserveRtpPortRange, type RtpPortRange } from '../support/rtp-port-range.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { LiveCallHandle } from '../../src/ports/call-sessions.js';
import { builtInCodecPolicy, concatPcm, pcmuStreams } from '../support/media.js';
import {
  libsrtpTool,
  randomKeying,
  srtpLibraryTool,
  SrtpTestSender,
} from '../support/srtp-protector.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { correlation } from '../support/signal.js';
import { tools } from '../support/tools.js';

const srtp = libsrtpTool();
const receivers = (['libre', 'libsrtp2'] as const).map((name) => ({
  name,
  tool: srtpLibraryTool(name),
}));
const callerAudio = readFileSync(
  new URL('../../samples/support-call/caller.pcmu', import.meta.url),
);

class FakeHandle implements LiveCallHandle {
  readonly callId = 'srtp-call';
  readonly preRollMs = 0;
  wanting = true;
  readonly frames: Int16Array[] = [];
  wantsAudio(): boolean {
    return this.wanting;
  }
  channelForLabel(label: string): Channel | null {
    return label === '1' ? 'CALLER' : label === '2' ? 'AGENT' : null;
  }
  audio(channel: Channel, frame: AudioFrame): void {
    if (channel === 'CALLER') this.frames.push(frame.pcm.slice());
  }
  preRoll(): void {}
  answered(): Promise<void> {
    return Promise.resolve();
  }
  metadataUpdated(): void {}
  holdChanged(): void {}
  async end(): Promise<void> {}
  samples(): Int16Array {
    return concatPcm(this.frames);
  }
}

function rtp(index: number, seq: number, ssrc = 0x5151): Buffer {
  return buildRtpPacket({
    payloadType: 0,
    sequenceNumber: seq & 0xffff,
    timestamp: (index * 160) >>> 0,
    ssrc,
    payload: callerAudio.subarray(index * 160, index * 160 + 160),
  });
}

const source = (from: number, to: number) =>
  decodeG711('PCMU', callerAudio.subarray(from * 160, to * 160));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The SRTP receive path on real sockets, with each SRTP library as the receiver: packets
 * protected by libsrtp's srtp_protect (the SBC's side) are verified and decrypted before the RTP
 * receiver sees them; whatever fails is dropped, counted, and never decoded.
 */
describe.skipIf(!srtp.available || receivers.some((r) => !r.tool.available)).each(receivers)(
  'SRTP streams (libsrtp protects, $name unprotects)',
  ({ tool }) => {
    let sessions: UdpMediaSessions;
    const sockets: Socket[] = [];
    const senders: SrtpTestSender[] = [];
    let range: RtpPortRange;

    beforeEach(() => {
      range = reserveRtpPortRange(20);
      sessions = new UdpMediaSessions({
        config: {
          rtpHost: '127.0.0.1',
          rtpPorts: { min: range.min, max: range.max },
          mediaTimeoutMs: 60_000,
          preRollMs: 0,
        },
        log: pino({ level: 'silent' }),
        metrics: createMetrics(),
        codecs: builtInCodecPolicy,
        srtp: { support: { policy: 'optional', available: true }, library: tool.library },
      });
    });
    afterEach(async () => {
      await sessions.close();
      for (const s of sockets.splice(0)) s.close();
      for (const s of senders.splice(0)) s.close();
      range.release();
    });

    async function socket(): Promise<Socket> {
      const s = createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
      sockets.push(s);
      return s;
    }

    function sender(keying: SrtpKeying): SrtpTestSender {
      const s = new SrtpTestSender(srtp.library!, keying);
      senders.push(s);
      return s;
    }

    function srtpStreams(keying: SrtpKeying): AcceptedStream[] {
      return pcmuStreams(['1', '2']).map((s) => (s.index === 0 ? { ...s, srtp: keying } : s));
    }

    async function open(keying: SrtpKeying): Promise<{
      session: MediaSession;
      handle: FakeHandle;
      send: (packet: Buffer) => void;
      from: Socket;
    }> {
      const session = await sessions.allocate(2);
      const handle = new FakeHandle();
      session.attach(srtpStreams(keying), handle);
      const from = await socket();
      const send = (packet: Buffer) => from.send(packet, session.ports[0]!, '127.0.0.1');
      return { session, handle, send, from };
    }

    /** Sends in small bursts: a loaded machine must not lose datagrams in the socket buffer. */
    async function sendAll(send: (p: Buffer) => void, packets: Buffer[]): Promise<void> {
      for (let i = 0; i < packets.length; i++) {
        send(packets[i]!);
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
      }
    }

    for (const suite of SRTP_SUITE_NAMES) {
      it(`${suite}: decodes exactly the source; SRTCP on the RTP port is ignored`, async () => {
        const keying = randomKeying(suite);
        const { session, handle, send } = await open(keying);
        const tx = sender(keying);
        const packets = Array.from({ length: 50 }, (_, i) => tx.protect(rtp(i, 2000 + i)));
        // Encrypted, not plain: the payload on the wire is not the G.711 source.
        expect(packets[0]!.subarray(12, 172).equals(callerAudio.subarray(0, 160))).toBe(false);
        await sendAll(send, packets);
        // An SRTCP receiver report multiplexed on the RTP port (RFC 5761): PT 201.
        send(Buffer.from([0x81, 201, 0, 7, 0, 0, 0x51, 0x51, ...new Array(28).fill(0)]));
        await until(() => session.stats().packetsReceived === 51, 'all received');
        await until(() => session.stats().packetsDecoded === 50, 'all decoded');
        expect([...handle.samples()]).toEqual([...source(0, 50)]);
        expect(session.stats().dropped).toEqual({ 'srtcp-ignored': 1 });
      });
    }

    // ffmpeg's SRTP muxer (libavformat's own SRTP code, not libsrtp) as the sender: 4 s of the
    // sample call's caller, PCMU, with its SRTCP going to port+1.
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      it.skipIf(!tools.ffmpeg().available)(
        `${suite} from ffmpeg's SRTP muxer decodes to the source`,
        async () => {
          const keying = randomKeying(suite);
          const { session, handle } = await open(keying);
          const seconds = 4;
          const ffmpeg = spawn(
            'ffmpeg',
            [
              // -re: paced like a live call; a burst could overflow the socket buffer of a busy box.
              ...[
                '-hide_banner',
                '-loglevel',
                'error',
                '-re',
                '-f',
                'mulaw',
                '-ar',
                '8000',
                '-ac',
                '1',
              ],
              ...[
                '-i',
                fileURLToPath(new URL('../../samples/support-call/caller.pcmu', import.meta.url)),
              ],
              ...['-t', String(seconds), '-c:a', 'pcm_mulaw', '-payload_type', '0', '-f', 'rtp'],
              ...[
                '-srtp_out_suite',
                suite,
                '-srtp_out_params',
                Buffer.from(keying.keyAndSalt).toString('base64'),
              ],
              `srtp://127.0.0.1:${session.ports[0]}?pkt_size=182`,
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let stderr = '';
          ffmpeg.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const code = await new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
          expect(code, stderr).toBe(0);
          const want = seconds * 8000;
          await until(() => handle.samples().length >= want - 400, 'ffmpeg audio decoded', 10_000);
          const got = handle.samples();
          const src = decodeG711('PCMU', callerAudio.subarray(0, want));
          expect(
            correlation(got.subarray(0, want - 400), src.subarray(0, want - 400)),
          ).toBeGreaterThan(0.99);
          expect(session.stats().dropped['srtp-auth-failed'] ?? 0).toBe(0);
        },
        30_000,
      );
    }

    it('follows the rollover counter across the sequence number wrap (RFC 3711 §3.3.1)', async () => {
      const keying = randomKeying('AES_CM_128_HMAC_SHA1_80');
      const { session, handle, send } = await open(keying);
      const tx = sender(keying);
      // 65500 → 65535, then ROC 1: a receiver that guessed ROC 0 would fail every later packet.
      const packets = Array.from({ length: 120 }, (_, i) => tx.protect(rtp(i, 65_500 + i)));
      await sendAll(send, packets);
      await until(() => session.stats().packetsReceived === 120, 'all received');
      await until(() => session.stats().packetsDecoded === 120, 'all decoded');
      expect([...handle.samples()]).toEqual([...source(0, 120)]);
      expect(session.stats().dropped).toEqual({});
    });

    it('keeps the rollover counter while parked, so audio after a long pause still authenticates', async () => {
      const keying = randomKeying('AEAD_AES_128_GCM');
      const { session, handle, send } = await open(keying);
      const tx = sender(keying);
      await sendAll(
        send,
        [0, 1, 2, 3, 4].map((i) => tx.protect(rtp(i, 100 + i))),
      );
      await until(() => session.stats().packetsDecoded === 5, 'first packets');
      handle.wanting = false;
      // 80 parked packets 1000 sequence numbers apart: 80,000 numbers, past one wrap.
      await sendAll(
        send,
        Array.from({ length: 80 }, (_, i) => tx.protect(rtp(5, 105 + 1000 * (i + 1)))),
      );
      await until(() => session.stats().packetsReceived === 85, 'parked packets received');
      handle.wanting = true;
      const resumeSeq = 105 + 80_000 + 1;
      await sendAll(
        send,
        Array.from({ length: 10 }, (_, i) => tx.protect(rtp(100 + i, resumeSeq + i))),
      );
      await until(() => session.stats().packetsReceived === 95, 'resumed packets received');
      await until(() => session.stats().packetsDecoded === 15, 'resumed audio decoded');
      expect([...handle.samples().subarray(-1600)]).toEqual([...source(100, 110)]);
      expect(session.stats().dropped['srtp-auth-failed'] ?? 0).toBe(0);
    });

    it('drops and counts a wrong key, tampered, replayed and plain RTP packets; none reaches the decoder', async () => {
      const keying = randomKeying('AES_CM_128_HMAC_SHA1_32');
      const { session, handle, send } = await open(keying);
      const attacker = sender(randomKeying('AES_CM_128_HMAC_SHA1_32'));
      // First packets under a wrong key: dropped, and they must not latch the stream to this sender.
      const intruderSocket = await socket();
      for (let i = 0; i < 5; i++)
        intruderSocket.send(attacker.protect(rtp(i, 500 + i)), session.ports[0]!, '127.0.0.1');
      await until(() => session.stats().packetsReceived === 5, 'wrong-key packets received');
      expect(session.stats().dropped['srtp-auth-failed']).toBe(5);

      const tx = sender(keying);
      const good = Array.from({ length: 10 }, (_, i) => tx.protect(rtp(i, 1000 + i)));
      await sendAll(send, good);
      await until(() => session.stats().packetsDecoded === 10, 'genuine packets decoded');

      const tampered = tx.protect(rtp(10, 1010));
      tampered[20] = tampered[20]! ^ 0x01;
      send(tampered);
      send(Buffer.from(good[3]!)); // replayed
      send(rtp(11, 1011)); // plain RTP on an SAVP stream
      await until(() => session.stats().packetsReceived === 18, 'bad packets received');
      await new Promise((r) => setTimeout(r, 100));
      expect(session.stats().dropped).toEqual({ 'srtp-auth-failed': 7, 'srtp-replayed': 1 });
      expect(session.stats().packetsDecoded).toBe(10);
      expect([...handle.samples()]).toEqual([...source(0, 10)]);
    });

    it('a wrong key gives no audio at all', async () => {
      const { session, handle, send } = await open(randomKeying('AEAD_AES_256_GCM'));
      const tx = sender(randomKeying('AEAD_AES_256_GCM'));
      await sendAll(
        send,
        Array.from({ length: 30 }, (_, i) => tx.protect(rtp(i, 7 + i))),
      );
      await until(() => session.stats().packetsReceived === 30, 'received');
      expect(session.stats().dropped).toEqual({ 'srtp-auth-failed': 30 });
      expect(session.stats().packetsDecoded).toBe(0);
      expect(handle.frames).toEqual([]);
    });

    it('re-keys on a re-INVITE with a new key, accepting old-key stragglers for a while', async () => {
      const first = randomKeying('AES_CM_128_HMAC_SHA1_80');
      const { session, handle, send } = await open(first);
      const oldTx = sender(first);
      await sendAll(
        send,
        Array.from({ length: 10 }, (_, i) => oldTx.protect(rtp(i, 300 + i))),
      );
      await until(() => session.stats().packetsDecoded === 10, 'old key decoded');

      const second = randomKeying('AEAD_AES_128_GCM');
      session.update(srtpStreams(second));
      const newTx = sender(second);
      const straggler = oldTx.protect(rtp(10, 310));
      send(straggler);
      await until(() => session.stats().packetsDecoded === 11, 'straggler decoded');
      await sendAll(
        send,
        Array.from({ length: 10 }, (_, i) => newTx.protect(rtp(11 + i, 311 + i))),
      );
      await until(() => session.stats().packetsDecoded === 21, 'new key decoded');
      expect([...handle.samples()]).toEqual([...source(0, 21)]);
      expect(session.stats().dropped).toEqual({});
    });
  },
);
