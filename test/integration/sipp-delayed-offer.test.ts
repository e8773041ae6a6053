import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeG711, loadSource, timed, type SourceClip } from '../support/codec-clips.js';
import { writeRtpPcap } from '../support/pcap.js';
import { repoRoot } from '../support/server-harness.js';
import { locate, rms, wavChannel } from '../support/signal.js';
import { startFlowServer, type FlowServer } from '../support/sipp-flow-harness.js';
import { tools } from '../support/tools.js';

const ready = [tools.sipp(), tools.ffmpeg(), tools.sox()].every((t) => t.available);

const T1_MS = 50;
/** 64*T1: how long the 2xx is retransmitted before a missing ACK ends the session. */
const TRANSACTION_MS = 64 * T1_MS;
/** Room for a loaded 2-core box shared with other test runs. */
const SLACK_MS = 4000;
/** Each half of the media (the scenario pauses 4.5 s and 5 s for them): the caller's first turn of the sample call, from 4.5 s. */
const HALF_S = 4;

const NO_ANSWER_LINE = "the ACK brought no usable SDP answer to callscribe's offer";
const LOST_ACK_LINE = "no ACK (so no SDP answer) for the 200 OK carrying callscribe's offer";

/**
 * Delayed offer (issue 15 §1) with sipp as the SRC over UDP and TCP: INVITEs and re-INVITEs
 * without SDP get callscribe's offer in the 200 OK and the ACK's answer decides the codec. The
 * media is G.711 from sox (PCMU, then PCMA after the re-INVITE), replayed from pcaps; the
 * recording must hold it, and the fake engine must have transcribed it. A missing or unusable
 * answer, or a lost ACK, must end the session with a BYE and leave no call behind.
 */
describe.skipIf(!ready)('delayed offer (sipp SRC, real server)', () => {
  let flows: FlowServer;
  let workDir: string;
  let source: SourceClip;
  const pcaps: Record<string, string> = {};

  beforeAll(async () => {
    flows = await startFlowServer({ sipT1Ms: T1_MS, mediaTimeoutMs: 3000 });
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-delayed-offer-'));
    source = loadSource('caller', 4.5, 2 * HALF_S);
    const half = source.pcm8k.length / 2;
    const write = (name: string, codec: 'PCMU' | 'PCMA', pcm: Int16Array) => {
      const path = join(workDir, `${name}.pcap`);
      writeRtpPcap(path, timed(encodeG711(codec, pcm)));
      pcaps[name] = path;
    };
    write('first', 'PCMU', source.pcm8k.subarray(0, half));
    write('second', 'PCMA', source.pcm8k.subarray(half));
  }, 60_000);
  afterAll(async () => {
    await flows?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const replay = join(repoRoot, 'test', 'sipp', 'replay-pcap.mjs');

  async function recordingOf(callId: string): Promise<Buffer> {
    const response = await fetch(
      `${flows.server.baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
    );
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The log lines (parsed) of one SIP Call-ID. */
  const linesOf = (callId: string) =>
    flows.logLines().filter((entry) => entry['sipCallId'] === callId);

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('INVITE and re-INVITE without SDP: the ACKs answer PCMU, then PCMA; both are recorded and transcribed', async () => {
      const callId = flows.newCallId(`delayed-${transport}`);
      const result = await flows.runScenario({
        scenario: 'delayed-offer.xml',
        transport,
        callId,
        keys: {
          replay,
          first_pt: '0',
          first_codec: 'PCMU',
          first_pcap: pcaps['first']!,
          second_pt: '8',
          second_codec: 'PCMA',
          second_pcap: pcaps['second']!,
        },
        timeoutMs: 40_000,
      });
      expect(result.code, result.output).toBe(0);
      await expect
        .poll(async () => (await flows.call(callId))?.state, { timeout: 10_000 })
        .toBe('ENDED');
      const call = await flows.call(callId);
      expect(call?.endReason).toBe('bye');
      // One m-line and no metadata: the one stream is the caller's.
      expect(call?.channelMapping.rule).toBe('single-stream');

      const { pcm, sampleRateHz } = wavChannel(await recordingOf(callId), 0);
      expect(sampleRateHz).toBe(8000);
      const half = source.pcm8k.length / 2;
      // Each half is found in the caller channel, in its order, decoded nearly exactly.
      const first = locate(source.pcm8k.subarray(0, half), pcm, 8000, 2000);
      const second = locate(source.pcm8k.subarray(half), pcm.subarray(half), 8000, 3000);
      expect(first.correlation).toBeGreaterThan(0.95);
      expect(second.correlation).toBeGreaterThan(0.95);
      expect(rms(source.pcm8k.subarray(half))).toBeGreaterThan(300);

      const segments = flows
        .eventsOf(callId)
        .filter((e) => e.EventType === 'ADD_TRANSCRIPT_SEGMENT');
      expect(segments.some((e) => 'Channel' in e && e.Channel === 'CALLER')).toBe(true);
    }, 60_000);

    it.each([
      ['no answer at all', 'delayed-offer-ack-no-answer.xml', 'SDP_ANSWER_MISSING'],
      [
        'an answer with no offered codec',
        'delayed-offer-ack-unusable.xml',
        'SDP_NO_ACCEPTABLE_CODEC',
      ],
    ])(
      'an ACK with %s: BYE, one clear log line, no call left behind',
      async (_what, scenario, code) => {
        const callId = flows.newCallId(`bad-ack-${transport}`);
        const result = await flows.runScenario({ scenario, transport, callId });
        expect(result.code, result.output).toBe(0); // callscribe's BYE reached the SRC
        const warned = linesOf(callId).filter(
          (l) => l['msg'] === `${NO_ANSWER_LINE}; ending the session with BYE`,
        );
        expect(warned).toHaveLength(1);
        expect(warned[0]).toMatchObject({ code, offer: 'INVITE' });
        // The core never heard of it: no record, no events.
        expect(await flows.call(callId)).toBeUndefined();
        expect(flows.eventsOf(callId)).toEqual([]);
      },
      30_000,
    );

    it('a re-INVITE without SDP whose ACK brings no answer: BYE, the call ends no-sdp-answer', async () => {
      const callId = flows.newCallId(`bad-reack-${transport}`);
      const result = await flows.runScenario({
        scenario: 'delayed-reoffer-ack-no-answer.xml',
        transport,
        callId,
        keys: { replay, first_pcap: pcaps['first']! },
      });
      expect(result.code, result.output).toBe(0);
      await expect
        .poll(async () => (await flows.call(callId))?.state, { timeout: 10_000 })
        .toBe('ENDED');
      expect((await flows.call(callId))?.endReason).toBe('no-sdp-answer');
      await expect.poll(() => flows.eventsOf(callId).map((e) => e.EventType)).toContain('END');
      const warned = linesOf(callId).filter((l) => String(l['msg']).startsWith(NO_ANSWER_LINE));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ code: 'SDP_ANSWER_MISSING', offer: 're-INVITE' });
    }, 40_000);

    it('the ACK is lost: the 2xx goes unanswered for 64*T1, then BYE and no call left behind', async () => {
      const callId = flows.newCallId(`lost-ack-${transport}`);
      const startedAt = Date.now();
      const result = await flows.runScenario({
        scenario: 'delayed-offer-lost-ack.xml',
        transport,
        callId,
      });
      expect(result.code, result.output).toBe(0); // the BYE came
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(TRANSACTION_MS - 200);
      expect(Date.now() - startedAt).toBeLessThan(TRANSACTION_MS + SLACK_MS + 5000);
      expect(
        linesOf(callId).filter((l) => String(l['msg']).startsWith(LOST_ACK_LINE)),
      ).toHaveLength(1);
      expect(await flows.call(callId)).toBeUndefined();
      expect(flows.eventsOf(callId)).toEqual([]);
    }, 40_000);
  });
});
