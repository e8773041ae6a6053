import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import type { SrtpKeying } from '../../src/adapters/srtp/srtp-suites.js';
import { decodeG711 } from '../../src/media/g711.js';
import { RtpPacer, startSiprecCall } from '../../src/sbc-sim/index.js';
import { codecCallScenario } from '../support/codec-call-scenario.js';
import { encodeG711, loadSource, timed, type SourceClip } from '../support/codec-clips.js';
import { writeRtpPcap, type TimedPacket } from '../support/pcap.js';
import { repoRoot, startTestServer } from '../support/server-harness.js';
import { runSipp, sippCallArgs } from '../support/sipp-runner.js';
import { locate, rms, wavChannel } from '../support/signal.js';
import {
  inlineKey,
  libsrtpTool,
  randomKeying,
  srtpLibraryTool,
  SrtpTestSender,
} from '../support/srtp-protector.js';
import { tools } from '../support/tools.js';
import { waitFor } from '../support/wait-for.js';

const srtp = libsrtpTool();
// The server's default srtpLibrary.
const libre = srtpLibraryTool('libre');
const ready = [tools.sipp(), tools.ffmpeg(), tools.sox(), srtp, libre].every((t) => t.available);

const WINDOW = { fromS: 4.5, seconds: 8 };

/**
 * ffmpeg's SRTP muxer sends the clip to a socket of ours; its datagrams become a pcap with the
 * timing of their RTP timestamps (the header is in clear), for sipp to replay.
 */
async function ffmpegSrtp(
  pcm8k: Int16Array,
  keying: SrtpKeying,
  dir: string,
): Promise<TimedPacket[]> {
  const raw = join(dir, `ffmpeg-src-${keying.suite}.s16`);
  writeFileSync(raw, Buffer.from(pcm8k.buffer, pcm8k.byteOffset, pcm8k.byteLength));
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  const datagrams: Buffer[] = [];
  socket.on('message', (m: Buffer) => datagrams.push(m));
  const port = (socket.address() as { port: number }).port;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      'ffmpeg',
      [
        ...[
          '-hide_banner',
          '-loglevel',
          'error',
          '-f',
          's16le',
          '-ar',
          '8000',
          '-ac',
          '1',
          '-i',
          raw,
        ],
        ...['-c:a', 'pcm_mulaw', '-payload_type', '0', '-f', 'rtp'],
        ...['-srtp_out_suite', keying.suite, '-srtp_out_params', inlineKey(keying)],
        `srtp://127.0.0.1:${port}?pkt_size=182`,
      ],
      { stdio: 'ignore' },
    );
    child.on('close', resolve);
  });
  await new Promise((r) => setTimeout(r, 200));
  socket.close();
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}`);
  const first = datagrams[0]?.readUInt32BE(4) ?? 0;
  return datagrams.map((data) => ({ atMs: ((data.readUInt32BE(4) - first) >>> 0) / 8, data }));
}

/** The SBC's libsrtp: sox's G.711 packets protected with srtp_protect (GCM: ffmpeg lacks it). */
function libsrtpPackets(pcm8k: Int16Array, keying: SrtpKeying): TimedPacket[] {
  const sender = new SrtpTestSender(srtp.library!, keying);
  try {
    return timed(encodeG711('PCMU', pcm8k)).map((p) => ({ ...p, data: sender.protect(p.data) }));
  } finally {
    sender.close();
  }
}

function refusalScenario(mLines: string[], warning: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="SRTP policy refusal">
  <send retrans="500">
    <![CDATA[
      INVITE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:src@[local_ip]:[local_port];transport=[transport]>;+sip.src
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=SRC 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      ${mLines.join('\n      ')}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="488">
    <action>
      <ereg regexp="${warning}" search_in="hdr" header="Warning:" check_it="true" assign_to="warning"/>
    </action>
  </recv>
  <Reference variables="warning"/>
  <send>
    <![CDATA[
      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
</scenario>
`;
}

const savpLine = (port: string, crypto: string) => [
  `m=audio ${port} RTP/SAVP 0`,
  `a=crypto:${crypto}`,
  'a=rtpmap:0 PCMU/8000',
  'a=sendonly',
];
const avpLine = (port: string) => [
  `m=audio ${port} RTP/AVP 0`,
  'a=rtpmap:0 PCMU/8000',
  'a=sendonly',
];

async function recording(baseUrl: string, callId: string): Promise<Buffer> {
  let wav = Buffer.alloc(0);
  await waitFor(
    async () => {
      const res = await fetch(`${baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`);
      if (res.status !== 200) return false;
      wav = Buffer.from(await res.arrayBuffer());
      return true;
    },
    { timeoutMs: 15_000, what: `recording of ${callId}` },
  );
  return wav;
}

async function droppedByReason(baseUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^callscribe_rtp_dropped_total\{reason="([^"]+)"\} (\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

function expectSource(wav: Buffer, channel: 0 | 1, source: Int16Array): void {
  const { pcm, sampleRateHz } = wavChannel(wav, channel);
  expect(sampleRateHz).toBe(8000);
  expect(pcm.length).toBeGreaterThanOrEqual(source.length * 0.97);
  const found = locate(source, pcm, 8000, 1500);
  expect(found.correlation, `channel ${channel}`).toBeGreaterThanOrEqual(0.95);
}

/**
 * sipp is an SBC offering RTP/SAVP with a=crypto; its media are SRTP made by ffmpeg's SRTP muxer
 * (caller) and by libsrtp (agent, a GCM suite), replayed from pcaps. The recording read back
 * through the REST API must hold the source audio; nothing of the keys may reach the logs.
 */
describe.skipIf(!ready)('SIPREC with SDES-SRTP (sipp, ffmpeg, libsrtp)', () => {
  let workDir: string;
  let caller: SourceClip;
  let agent: SourceClip;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-srtp-'));
    caller = loadSource('caller', WINDOW.fromS, WINDOW.seconds);
    agent = loadSource('agent', WINDOW.fromS, WINDOW.seconds);
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(workDir, name);
    writeFileSync(path, text);
    return path;
  }

  async function sipp(
    server: Awaited<ReturnType<typeof startTestServer>>,
    scenario: string,
    callId: string,
  ) {
    return runSipp(
      [
        '-sf',
        scenario,
        ...(await sippCallArgs({
          sipPort: server.running.sipPorts.udp!,
          transport: 'u1',
          timeout: '60s',
        })),
        '-cid_str',
        callId,
      ],
      workDir,
      70_000,
    );
  }

  for (const srtpLibrary of ['libre', 'libsrtp2'] as const)
    it(`srtpLibrary ${srtpLibrary}: records SRTP from ffmpeg (AES_CM_128_HMAC_SHA1_80) and libsrtp (AEAD_AES_256_GCM) as the source; a wrong key gives silence and counted drops`, async () => {
      const server = await startTestServer({
        engine: 'fake',
        logLevel: 'debug',
        srtpLibrary,
      });
      try {
        const callerKey = randomKeying('AES_CM_128_HMAC_SHA1_80');
        const agentKey = randomKeying('AEAD_AES_256_GCM');
        const callerPcap = join(workDir, 'caller.pcap');
        const agentPcap = join(workDir, 'agent.pcap');
        writeRtpPcap(callerPcap, await ffmpegSrtp(caller.pcm8k, callerKey, workDir));
        writeRtpPcap(agentPcap, libsrtpPackets(agent.pcm8k, agentKey));
        const scenario = (keys: [SrtpKeying, SrtpKeying]) =>
          codecCallScenario({
            formats: '0 101',
            phases: [{ callerPcap, agentPcap, durationMs: WINDOW.seconds * 1000 + 1500 }],
            replayScript: join(repoRoot, 'test/sipp/replay-pcap.mjs'),
            srtp: {
              profile: 'RTP/SAVP',
              crypto: [
                `1 ${keys[0].suite} inline:${inlineKey(keys[0])}|2^31`,
                `1 ${keys[1].suite} inline:${inlineKey(keys[1])}`,
              ],
              // Our answer: SAVP, the offer's tag and suite, a fresh 30/44-byte key of our own.
              answerMustMatch:
                'RTP/SAVP 0.*a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}.*RTP/SAVP 0.*a=crypto:1 AEAD_AES_256_GCM inline:[A-Za-z0-9+/]{59}=',
            },
          });

        const good = await sipp(
          server,
          file('srtp-good.xml', scenario([callerKey, agentKey])),
          'srtp-good',
        );
        expect(good.code, good.output).toBe(0);
        const wav = await recording(server.baseUrl, 'srtp-good');
        expectSource(wav, 0, caller.pcm8k);
        expectSource(wav, 1, agent.pcm8k);
        expect((await droppedByReason(server.baseUrl))['srtp-auth-failed'] ?? 0).toBe(0);

        // The same pcaps, but the offer names another key for the agent's stream.
        const wrong = await sipp(
          server,
          file('srtp-wrong.xml', scenario([callerKey, randomKeying('AEAD_AES_256_GCM')])),
          'srtp-wrong-key',
        );
        expect(wrong.code, wrong.output).toBe(0);
        const wrongWav = await recording(server.baseUrl, 'srtp-wrong-key');
        expectSource(wrongWav, 0, caller.pcm8k);
        expect(rms(wavChannel(wrongWav, 1).pcm)).toBeLessThan(5);
        const drops = await droppedByReason(server.baseUrl);
        expect(drops['srtp-auth-failed']).toBeGreaterThanOrEqual(WINDOW.seconds * 50 * 0.9);

        // No key, ours or the SBC's, in any log line (debug level included).
        const logged = JSON.stringify(server.captured.lines);
        for (const key of [callerKey, agentKey]) expect(logged).not.toContain(inlineKey(key));
        expect(logged).not.toMatch(/inline:[A-Za-z0-9+/]{20}/);
      } finally {
        await server.stop();
      }
    }, 120_000);

  it('srtpPolicy required: a plain RTP offer gets 488 with a Warning; an unsupported suite gets 488 naming the supported ones', async () => {
    const server = await startTestServer({
      engine: 'fake',
      srtpPolicy: 'required',
    });
    try {
      const plain = await sipp(
        server,
        file(
          'plain.xml',
          refusalScenario(
            [...avpLine('[media_port]'), ...avpLine('[media_port+2]')],
            'SRTP required',
          ),
        ),
        'srtp-required-plain',
      );
      expect(plain.code, plain.output).toBe(0);
      const key = inlineKey(randomKeying('AES_CM_128_HMAC_SHA1_80'));
      const unsupported = await sipp(
        server,
        file(
          'suite.xml',
          refusalScenario(
            [
              ...savpLine('[media_port]', `1 AES_192_CM_HMAC_SHA1_80 inline:${key}`),
              ...savpLine('[media_port+2]', `1 F8_128_HMAC_SHA1_80 inline:${key}`),
            ],
            'No supported SRTP crypto suite; callscribe supports AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM',
          ),
        ),
        'srtp-unsupported-suite',
      );
      expect(unsupported.code, unsupported.output).toBe(0);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('srtpPolicy off: an SRTP-only offer gets 488 naming plain RTP', async () => {
    const server = await startTestServer({
      engine: 'fake',
      srtpPolicy: 'off',
    });
    try {
      const key = inlineKey(randomKeying('AES_CM_128_HMAC_SHA1_80'));
      const result = await sipp(
        server,
        file(
          'off.xml',
          refusalScenario(
            [
              ...savpLine('[media_port]', `1 AES_CM_128_HMAC_SHA1_80 inline:${key}`),
              ...savpLine('[media_port+2]', `1 AES_CM_128_HMAC_SHA1_80 inline:${key}`),
            ],
            'over RTP/AVP or RTP/AVPF',
          ),
        ),
        'srtp-off',
      );
      expect(result.code, result.output).toBe(0);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

/**
 * callscribe's own SBC simulator offering SRTP: its RTP/SAVP offer with one a=crypto line per
 * stream is answered in kind by the real server, and packets protected with the offered keys
 * (libsrtp's srtp_protect, sent by the simulator's pacer) are recorded as the source audio.
 */
describe.skipIf(!srtp.available || !libre.available)(
  'sbc-sim SRTP offer against the real server',
  () => {
    it('AES_CM_128_HMAC_SHA1_32 on both legs: answered with SRTP, both legs decode to the source', async () => {
      const server = await startTestServer({ engine: 'fake' });
      const pacer = new RtpPacer();
      try {
        const call = await startSiprecCall({
          target: { host: '127.0.0.1', port: server.running.sipPorts.udp! },
          transport: 'udp',
          callId: 'sbc-sim-srtp',
          srtp: 'AES_CM_128_HMAC_SHA1_32',
        });
        expect(call.srtpKeys?.map((k) => k.suite)).toEqual([
          'AES_CM_128_HMAC_SHA1_32',
          'AES_CM_128_HMAC_SHA1_32',
        ]);
        // Four seconds of each leg from 5 s in (speech on both), 20 ms packets.
        const legs = ['caller.pcmu', 'agent.pcmu'].map((name) =>
          readFileSync(join(repoRoot, 'samples/support-call', name)).subarray(250 * 160, 450 * 160),
        );
        await Promise.all(
          legs.map((audio, leg) => {
            const sender = new SrtpTestSender(srtp.library!, call.srtpKeys![leg]!);
            const prebuilt = Array.from({ length: audio.length / 160 }, (_, i) =>
              sender.protect(
                buildRtpPacket({
                  payloadType: 0,
                  sequenceNumber: 40_000 + i,
                  timestamp: i * 160,
                  ssrc: 0x5000 + leg,
                  payload: audio.subarray(i * 160, i * 160 + 160),
                }),
              ),
            );
            sender.close();
            const socket = call.rtpSockets[leg]!;
            return new Promise<void>((resolve) =>
              pacer.add({
                send: (packet) => socket.send(packet),
                audio: new Uint8Array(0),
                prebuilt,
                loop: false,
                onEnd: resolve,
              }),
            );
          }),
        );
        // The last packets through the media worker before the BYE closes the ports.
        await new Promise((r) => setTimeout(r, 300));
        await call.hangUp();
        const wav = await recording(server.baseUrl, 'sbc-sim-srtp');
        legs.forEach((audio, leg) => expectSource(wav, leg as 0 | 1, decodeG711('PCMU', audio)));
        expect((await droppedByReason(server.baseUrl))['srtp-auth-failed'] ?? 0).toBe(0);
      } finally {
        pacer.stop();
        await server.stop();
      }
    }, 60_000);
  },
);
