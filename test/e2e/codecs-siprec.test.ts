import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecCallScenario, type CodecCallPhase } from '../support/codec-call-scenario.js';
import {
  encodeG711,
  encodeG722,
  encodeG729,
  encodeOpus,
  joinClips,
  loadSource,
  timed,
  withDtmf,
  type RtpClip,
  type SourceClip,
} from '../support/codec-clips.js';
import { writeRtpPcap, type TimedPacket } from '../support/pcap.js';
import { repoRoot, startTestServer } from '../support/server-harness.js';
import { runSipp, sippCallArgs } from '../support/sipp-runner.js';
import { locate, rms, wavChannel } from '../support/signal.js';
import { tools } from '../support/tools.js';
import { waitFor } from '../support/wait-for.js';

const ready = [
  tools.sipp(),
  tools.ffmpeg(),
  tools.sox(),
  tools.libspandsp(),
  tools.libbcg729(),
  tools.libopus(),
].every((t) => t.available);

/** 4.5 s to 15 s of the sample call: the caller's first turn, then the agent's second. */
const WINDOW = { fromS: 4.5, seconds: 10.5 };
const MEDIA_MS = WINDOW.seconds * 1000;

interface CallResult {
  sipp: { code: number | null; output: string };
  recording: Buffer;
}

/**
 * sipp is the SBC of a SIPREC call whose media was encoded by ffmpeg, sox or bcg729 and is
 * replayed from pcaps; the assertions read the call's recording back through the REST API
 * and compare each channel with the source it was encoded from.
 */
describe.skipIf(!ready)(
  'SIPREC calls in every codec (sipp replays pcaps from outside encoders)',
  () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    let workDir: string;
    let caller: SourceClip;
    let agent: SourceClip;

    beforeAll(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'callscribe-codecs-'));
      server = await startTestServer({ engine: 'fake' });
      caller = loadSource('caller', WINDOW.fromS, WINDOW.seconds);
      agent = loadSource('agent', WINDOW.fromS, WINDOW.seconds);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      rmSync(workDir, { recursive: true, force: true });
    });

    function pcap(name: string, packets: readonly TimedPacket[]): string {
      const path = join(workDir, `${name}.pcap`);
      writeRtpPcap(path, packets);
      return path;
    }

    async function runCall(
      callId: string,
      formats: string,
      phases: CodecCallPhase[],
      scenario?: string,
    ): Promise<CallResult> {
      const file = join(workDir, `${callId}.xml`);
      writeFileSync(
        file,
        scenario ??
          codecCallScenario({
            formats,
            phases,
            replayScript: join(repoRoot, 'test/sipp/replay-pcap.mjs'),
          }),
      );
      const sipp = await runSipp(
        [
          '-sf',
          file,
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
      if (sipp.code !== 0) return { sipp, recording: Buffer.alloc(0) };
      let recording = Buffer.alloc(0);
      await waitFor(
        async () => {
          const res = await fetch(
            `${server.baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
          );
          if (res.status !== 200) return false;
          recording = Buffer.from(await res.arrayBuffer());
          return true;
        },
        { timeoutMs: 15_000, what: `recording of ${callId}` },
      );
      return { sipp, recording };
    }

    /**
     * Each channel of the recording holds its source, at the expected rate. With `splitsS`, each
     * piece between codec switches is located on its own (codecs delay differently: PCMU not at
     * all, G.722 by 2 ms) and must sit within 10 ms of the previous piece: nothing lost or repeated.
     */
    function expectChannels(
      result: CallResult,
      rateHz: number,
      minCorrelation: number,
      splitsS: number[] = [],
    ): void {
      expect(result.sipp.code, result.sipp.output).toBe(0);
      const sources = [caller, agent];
      for (const channel of [0, 1] as const) {
        const { pcm, sampleRateHz } = wavChannel(result.recording, channel);
        expect(sampleRateHz).toBe(rateHz);
        const source = rateHz === 16_000 ? sources[channel]!.pcm16k : sources[channel]!.pcm8k;
        // The media lasted the whole window: nothing dropped on the way.
        expect(pcm.length).toBeGreaterThanOrEqual(source.length * 0.97);
        const bounds = [0, ...splitsS.map((sec) => sec * rateHz), source.length];
        let previousLag: number | undefined;
        for (let i = 0; i + 1 < bounds.length; i++) {
          const piece = source.subarray(bounds[i], bounds[i + 1]);
          // A silent piece (the other party's turn) carries nothing to compare.
          if (rms(piece) < 300) continue;
          const found = locate(piece, pcm.subarray(bounds[i]), rateHz, 1500);
          expect(found.correlation, `channel ${channel} piece ${i}`).toBeGreaterThanOrEqual(
            minCorrelation,
          );
          if (previousLag !== undefined)
            expect(
              Math.abs(found.lag - previousLag),
              `channel ${channel} piece ${i}`,
            ).toBeLessThanOrEqual(rateHz / 100);
          previousLag = found.lag;
        }
      }
    }

    /** Every call's pcaps, made before any call runs: encoding is CPU-heavy, calls are paced. */
    const calls: Record<string, { formats: string; phases: CodecCallPhase[] }> = {};

    beforeAll(async () => {
      const both = async (
        name: string,
        make: (s: SourceClip, ssrc: number) => Promise<TimedPacket[]>,
      ): Promise<CodecCallPhase> => ({
        callerPcap: pcap(`${name}-caller`, await make(caller, 0x1111)),
        agentPcap: pcap(`${name}-agent`, await make(agent, 0x2222)),
        durationMs: MEDIA_MS + 1500,
      });
      calls['codec-g722'] = {
        formats: '9 0 101',
        phases: [
          await both('g722', async (s, ssrc) => {
            const stream = timed(await encodeG722(s.pcm16k));
            // The caller presses a digit 2 s in: RFC 4733 events on the same stream.
            return ssrc === 0x1111 ? withDtmf(stream, 2000) : stream;
          }),
        ],
      };
      calls['codec-opus'] = {
        formats: '111 0 101',
        phases: [
          await both('opus', async (s, ssrc) =>
            timed(await encodeOpus(s.pcm16k, { stereo: ssrc === 0x2222 })),
          ),
        ],
      };
      calls['codec-g729'] = {
        formats: '18 101',
        phases: [await both('g729', async (s) => timed(encodeG729(s.pcm8k, { vad: true })))],
      };
      calls['codec-switch'] = {
        formats: '0 9 111 101',
        phases: [
          await both('switch', async (s, ssrc) => {
            const n16 = s.pcm16k.length / 3;
            const n8 = s.pcm8k.length / 3;
            const clips: RtpClip[] = [
              encodeG711('PCMU', s.pcm8k.subarray(0, n8)),
              await encodeG722(s.pcm16k.subarray(n16, 2 * n16)),
              await encodeOpus(s.pcm16k.subarray(2 * n16)),
            ];
            return joinClips(clips, ssrc);
          }),
        ],
      };
      // One RTP stream per channel: PCMU for the first 4 s, G.722 after the transfer's re-INVITE.
      const splitS = 4;
      const transfer = async (s: SourceClip, ssrc: number) => {
        const joined = joinClips(
          [
            encodeG711('PCMU', s.pcm8k.subarray(0, splitS * 8000)),
            await encodeG722(s.pcm16k.subarray(splitS * 16_000)),
          ],
          ssrc,
        );
        const at = joined.findIndex((p) => p.atMs >= splitS * 1000);
        const after = joined.slice(at).map((p) => ({ ...p, atMs: p.atMs - splitS * 1000 }));
        return [joined.slice(0, at), after] as const;
      };
      const [callerBefore, callerAfter] = await transfer(caller, 0x3333);
      const [agentBefore, agentAfter] = await transfer(agent, 0x4444);
      calls['codec-reinvite'] = {
        formats: '0 101',
        phases: [
          {
            callerPcap: pcap('reinvite-caller-1', callerBefore),
            agentPcap: pcap('reinvite-agent-1', agentBefore),
            durationMs: splitS * 1000,
          },
          {
            reinvite: { formats: '9 101', answerMustList: 'a=rtpmap:9 G722/8000' },
            callerPcap: pcap('reinvite-caller-2', callerAfter),
            agentPcap: pcap('reinvite-agent-2', agentAfter),
            durationMs: (WINDOW.seconds - splitS) * 1000 + 1500,
          },
        ],
      };
    }, 120_000);

    const call = (id: string) => {
      const spec = calls[id];
      if (!spec) throw new Error(`no pcaps for ${id}`);
      return runCall(id, spec.formats, spec.phases);
    };

    it.concurrent(
      'G.722 on both streams (ffmpeg RTP), with an RFC 4733 digit: 16 kHz recording',
      async () => {
        expectChannels(await call('codec-g722'), 16_000, 0.97);
      },
      90_000,
    );

    it.concurrent(
      'Opus (libopus via ffmpeg): mono caller, stereo agent, 16 kHz recording',
      async () => {
        expectChannels(await call('codec-opus'), 16_000, 0.85);
      },
      90_000,
    );

    it.concurrent(
      'G.729 Annex B (bcg729 encoder, VAD: SID frames and DTX gaps): 8 kHz recording',
      async () => {
        expectChannels(await call('codec-g729'), 8000, 0.6);
      },
      90_000,
    );

    it.concurrent(
      'a codec switch mid-stream without re-INVITE (PCMU → G.722 → Opus) stays continuous',
      async () => {
        expectChannels(await call('codec-switch'), 16_000, 0.85, [3.5, 7]);
      },
      90_000,
    );

    it.concurrent(
      'a re-INVITE offering only G.722 (Webex blind transfer) is accepted and decoded',
      async () => {
        // Negotiated PCMU when the recording opened: the file stays 8 kHz, G.722 resampled into it.
        expectChannels(await call('codec-reinvite'), 8000, 0.95, [4]);
      },
      90_000,
    );
  },
);
