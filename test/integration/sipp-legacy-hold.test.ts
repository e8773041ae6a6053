import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallStateEvent } from '../../src/domain/call-event.js';
import { parseStereoWav, sourceCoverage } from '../support/recording-check.js';
import {
  agentAudio,
  callerAudio,
  startFlowServer,
  type FlowServer,
} from '../support/sipp-flow-harness.js';
import { freePort } from '../support/sipp-runner.js';
import { tools } from '../support/tools.js';

const sipp = tools.sipp();

const MEDIA_TIMEOUT_MS = 1500;
/** Long enough that a slow start of the RTP sender on a loaded box draws no probe before the hold. */
const PROBE_MS = 2000;
/** The RTP before and after the hold: 1.2 s each (frames 0-60 and 60-120 of the sample). */
const TALK_MS = 2400;

/** The longest run of samples that are zero in both channels, in samples. */
function longestSilence(caller: Int16Array, agent: Int16Array): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < caller.length; i++) {
    run = caller[i] === 0 && agent[i] === 0 ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/**
 * Legacy hold (issue 15 §3) with sipp as the SRC over UDP and TCP: a re-INVITE holds the call
 * the RFC 2543 way (`c=IN IP4 0.0.0.0`, m-lines still `a=sendonly`) and all RTP stops for longer
 * than the media timeout and two dialog probes; an UPDATE with the real address resumes it. The
 * call must show the hold (record and CALL_STATE), end only by the SRC's BYE, and its recording
 * must run on through the hold as silence, with the audio before and after intact.
 */
describe.skipIf(!sipp.available)('legacy hold: c=IN IP4 0.0.0.0 (sipp SRC, real server)', () => {
  let flows: FlowServer;

  beforeAll(async () => {
    flows = await startFlowServer({
      mediaTimeoutMs: MEDIA_TIMEOUT_MS,
      dialogProbeIntervalMs: PROBE_MS,
    });
  });
  afterAll(async () => {
    await flows?.stop();
  });

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('hold and resume during a transcribed call: shown as hold, no false end, recording continuous with silence', async () => {
      const callId = flows.newCallId(`legacy-hold-${transport}`);
      const run = flows.runScenario({
        scenario: 'legacy-hold.xml',
        transport,
        callId,
        keys: { rtp_source_port: String(await freePort()) },
      });
      // While on hold, the call record says so (what the UI reads).
      await expect
        .poll(async () => (await flows.call(callId))?.heldChannels, { timeout: 15_000 })
        .toEqual(['CALLER', 'AGENT']);
      expect((await flows.call(callId))?.state).toBe('PROCESSING');
      const result = await run;
      expect(result.code, result.output).toBe(0);

      await expect
        .poll(async () => (await flows.call(callId))?.state, { timeout: 10_000 })
        .toBe('ENDED');
      const call = await flows.call(callId);
      expect(call?.endReason).toBe('bye');
      expect(call?.heldChannels).toEqual([]);

      const events = flows.eventsOf(callId);
      const holds = events.filter(
        (e): e is CallStateEvent & { CreatedAt: string } =>
          e.EventType === 'CALL_STATE' && e.State !== 'ENDED' && e.HeldChannels !== undefined,
      );
      expect(holds.map((e) => e.HeldChannels)).toEqual([['CALLER', 'AGENT'], []]);
      const holdMs = Date.parse(holds[1]!.CreatedAt) - Date.parse(holds[0]!.CreatedAt);
      // Two probes answered, PROBE_MS apart, after PROBE_MS of quiet: longer than the media timeout.
      expect(holdMs).toBeGreaterThan(2 * PROBE_MS);
      // Transcribed before the hold and again after it (the sample's agent speaks first).
      const agentSegmentsAt = events.flatMap((e, i) =>
        e.EventType === 'ADD_TRANSCRIPT_SEGMENT' && e.Channel === 'AGENT' ? [i] : [],
      );
      const heldAt = events.indexOf(holds[0]!);
      const resumedAt = events.indexOf(holds[1]!);
      expect(agentSegmentsAt.some((i) => i < heldAt)).toBe(true);
      expect(agentSegmentsAt.some((i) => i > resumedAt)).toBe(true);

      const response = await fetch(
        `${flows.server.baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
      );
      expect(response.status).toBe(200);
      const wav = parseStereoWav(Buffer.from(await response.arrayBuffer()));
      expect(sourceCoverage(wav.caller, callerAudio, [[0, 120]])).toBeGreaterThan(0.9);
      expect(sourceCoverage(wav.agent, agentAudio, [[0, 120]])).toBeGreaterThan(0.9);
      // The hold is in the file as silence on both channels, and the file as long as the call.
      const rateHz = wav.sampleRateHz;
      expect(longestSilence(wav.caller, wav.agent)).toBeGreaterThan((0.8 * holdMs * rateHz) / 1000);
      expect(wav.caller.length).toBeGreaterThan(((TALK_MS + 0.8 * holdMs) * rateHz) / 1000);
    }, 60_000);
  });
});
