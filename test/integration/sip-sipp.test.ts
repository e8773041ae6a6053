import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSipServer, type SipServer } from '../../src/adapters/sip/sip-server.js';
import { UdpMediaSessions } from '../../src/adapters/rtp/udp-media-sessions.js';
import { configSchema } from '../../src/config/schema.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { reserveRtpPortRange, type RtpPortRange } from '../support/rtp-port-range.js';
import { runSipp, sippCallArgs } from '../support/sipp-runner.js';
import { FakeCallSessions } from '../sipp/support/fake-call-sessions.js';
import { ULAW_TO_LINEAR } from '../support/recording-check.js';
import { tools } from '../support/tools.js';
import { builtInCodecPolicy } from '../support/media.js';

const sipp = tools.sipp();
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const scenario = here('../sipp/siprec-uac.xml');
const mediaScenario = here('../sipp/siprec-uac-media.xml');
const sender = here('../sipp/send-rtp.mjs');
const callerAudio = here('../../samples/support-call/caller.pcmu');
const agentAudio = here('../../samples/support-call/agent.pcmu');
const MEDIA_SECONDS = 3;

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

describe.skipIf(!sipp.available)('sipp as the SIPREC SRC', () => {
  let server: SipServer;
  let ports: { udpPort?: number; tcpPort?: number };
  const calls = new FakeCallSessions();
  const metrics = createMetrics();
  const log = pino({ level: 'silent' });
  let media: UdpMediaSessions;
  let workDir: string;
  let rtpRange: RtpPortRange | undefined;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-sipp-'));
    rtpRange = reserveRtpPortRange(100);
    const config = configSchema.parse({
      sipHost: '127.0.0.1',
      sipPort: 0,
      rtpHost: '127.0.0.1',
      rtpPorts: { min: rtpRange.min, max: rtpRange.max },
      mediaTimeoutMs: 30_000,
    });
    media = new UdpMediaSessions({ config, log, metrics, codecs: builtInCodecPolicy });
    server = createSipServer({ config, log, metrics, callSessions: calls, mediaSessions: media });
    ports = await server.start();
  });
  afterAll(async () => {
    await server?.close();
    await media?.close();
    rtpRange?.release();
    rmSync(workDir, { recursive: true, force: true });
  });

  const common = (transport: 'u1' | 't1', port: number): Promise<string[]> =>
    sippCallArgs({ sipPort: port, transport, timeout: '25s' });

  it.each([
    ['u1', 'udpPort'],
    ['t1', 'tcpPort'],
  ] as const)(
    'sipp -t %s: call set up, recorded with two streams, ended by BYE',
    async (transport, portKey) => {
      const before = calls.sessions.length;
      const result = await runSipp(
        ['-sf', scenario, ...(await common(transport, ports[portKey] ?? 0))],
        workDir,
      );
      expect(result.code, result.output).toBe(0);
      expect(calls.sessions).toHaveLength(before + 1);
      const session = calls.sessions[before];
      expect(session?.streams.map((s) => s.label)).toEqual(['1', '2']);
      expect(session?.streams.map((s) => s.role)).toEqual(['CALLER', 'AGENT']);
      expect(session?.siprecMetadataXml).toContain('participantstreamassoc');
      await expect.poll(() => calls.handles[before]?.endReasons).toEqual(['bye']);
      expect(server.dialogCount()).toBe(0);
    },
  );

  it('sipp -t t1 with RTP on both m-lines: the decoded audio reaches CALLER and AGENT bit-exact', async () => {
    const before = calls.sessions.length;
    const args = [
      '-sf',
      mediaScenario,
      ...(await common('t1', ports.tcpPort ?? 0)),
      '-key',
      'sender',
      sender,
      '-key',
      'caller_audio',
      callerAudio,
      '-key',
      'agent_audio',
      agentAudio,
      '-key',
      'media_seconds',
      String(MEDIA_SECONDS),
    ];
    const result = await runSipp(args, workDir);
    expect(result.code, result.output).toBe(0);
    const handle = calls.handles[before];
    await expect.poll(() => handle?.endReasons).toEqual(['bye']);
    const expectedSamples = MEDIA_SECONDS * 8000;
    for (const [channel, file] of [
      ['CALLER', callerAudio],
      ['AGENT', agentAudio],
    ] as const) {
      const got = concat(handle?.audioByChannel[channel] ?? []);
      // Loopback loses nothing, but the last frames may race the BYE; most must be there.
      expect(got.length).toBeGreaterThan(expectedSamples * 0.9);
      expect(got.length).toBeLessThanOrEqual(expectedSamples);
      const source = readFileSync(file).subarray(0, got.length);
      const decoded = Int16Array.from(source, (byte) => ULAW_TO_LINEAR[byte] ?? 0);
      expect(
        Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(decoded.buffer)),
      ).toBe(true);
    }
  }, 40_000);
});
