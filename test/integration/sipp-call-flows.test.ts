import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallData } from '../../src/domain/call.js';
import {
  mixedSources,
  nonSilentFrames,
  parseStereoWav,
  sourceCoverage,
  type StereoWav,
} from '../support/recording-check.js';
import {
  agentAudio,
  callerAudio,
  startFlowServer,
  supervisorAudio,
  type FlowServer,
  type SippTransport,
} from '../support/sipp-flow-harness.js';
import { freePort } from '../support/sipp-runner.js';
import { tools } from '../support/tools.js';

const sipp = tools.sipp();

type Ranges = readonly (readonly [number, number])[];

/**
 * Vendor call flows with sipp as the SRC over UDP and TCP (issue 10, "Tests"): transfers,
 * conference, hold and pause, Cisco CUBE network-based recording and Avaya SBCE's placeholder
 * party. Each call must end by the SRC's BYE, with its recording bit-exact against the G.711
 * audio sipp sent on each stream (so no re-INVITE broke the media), and with the metadata the
 * flow leaves behind. The media timeout (2 s) is shorter than every hold and pause.
 */
describe.skipIf(!sipp.available)('vendor call flows (sipp SRC, real server)', () => {
  let flows: FlowServer;

  beforeAll(async () => {
    flows = await startFlowServer({ mediaTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await flows?.stop();
  });

  async function runFlow(
    scenario: string,
    transport: SippTransport,
    keys: Record<string, string> = {},
  ): Promise<{ callId: string; call: CallData }> {
    const callId = flows.newCallId(scenario.replace('.xml', ''));
    const result = await flows.runScenario({
      scenario,
      transport,
      callId,
      keys: { rtp_source_port: String(await freePort()), ...keys },
    });
    expect(result.code, result.output).toBe(0);
    await expect
      .poll(async () => (await flows.call(callId))?.state, { timeout: 10_000 })
      .toBe('ENDED');
    const call = await flows.call(callId);
    if (call === undefined) throw new Error('no call record');
    expect(call.endReason).toBe('bye');
    await expect.poll(() => flows.eventsOf(callId).map((e) => e.EventType)).toContain('END');
    return { callId, call };
  }

  async function recording(callId: string): Promise<StereoWav> {
    const response = await fetch(
      `${flows.server.baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
    );
    expect(response.status).toBe(200);
    const wav = parseStereoWav(Buffer.from(await response.arrayBuffer()));
    expect(wav.sampleRateHz).toBe(8000);
    return wav;
  }

  async function expectRecording(callId: string, caller: Ranges, agent: Ranges): Promise<void> {
    const wav = await recording(callId);
    expect(sourceCoverage(wav.caller, callerAudio, caller)).toBeGreaterThan(0.9);
    expect(sourceCoverage(wav.agent, agentAudio, agent)).toBeGreaterThan(0.9);
  }

  const aors = (call: CallData) => call.siprec?.participants.map((p) => p.aor) ?? [];

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('blind transfer: the re-INVITE names the new agent; the recording goes on unbroken', async () => {
      const { callId, call } = await runFlow('blind-transfer.xml', transport);
      expect(aors(call)).toEqual([
        'sip:+15551230001@carrier.example.net',
        'sip:2002@cc.example.com',
      ]);
      // The agent's number was known from the start: a metadata update never overwrites it.
      expect(call).toMatchObject({ fromNumber: '+15551230001', toNumber: '1001' });
      await expectRecording(callId, [[0, 300]], [[0, 300]]);
    }, 30_000);

    it('attended transfer: caller held during the consult, then the transfer target recorded', async () => {
      const { callId, call } = await runFlow('attended-transfer.xml', transport);
      expect(aors(call)).toContain('sip:2002@cc.example.com');
      expect(aors(call)).not.toContain('sip:1001@cc.example.com');
      await expectRecording(
        callId,
        [
          [0, 60],
          [120, 220],
        ],
        [[0, 220]],
      );
    }, 30_000);

    it('conference: the stream a re-INVITE adds is received and mixed into its side', async () => {
      const { callId, call } = await runFlow('conference.xml', transport, {
        supervisor_audio: supervisorAudio,
      });
      expect(aors(call)).toContain('sip:supervisor9@cc.example.com');
      const wav = await recording(callId);
      // The supervisor shares the agent's domain: agent side. The caller's channel is untouched.
      expect(sourceCoverage(wav.caller, callerAudio, [[0, 200]])).toBeGreaterThan(0.9);
      const mix = mixedSources(wav.agent, agentAudio, supervisorAudio);
      expect(mix.ownFrames / nonSilentFrames(agentAudio, 200)).toBeGreaterThan(0.9);
      // 2.4 s of the supervisor (120 frames), sample-exact on top of the agent's frames, in order.
      expect(mix.addedFrames.length / nonSilentFrames(supervisorAudio, 120)).toBeGreaterThan(0.75);
      expect(mix.addedFrames).toEqual([...mix.addedFrames].sort((a, b) => a - b));
      // A packet concealed under load is neither source: a few such blocks are fine.
      expect(mix.unexplainedBlocks).toBeLessThan(30);
    }, 30_000);

    it('hold and resume: a held stream outlasts the media timeout and resumes', async () => {
      const { callId } = await runFlow('hold-resume.xml', transport);
      await expectRecording(
        callId,
        [
          [0, 60],
          [170, 230],
        ],
        [[0, 230]],
      );
    }, 30_000);

    it('pause and resume by re-INVITE a=inactive: no media timeout, audio continues after', async () => {
      const { callId } = await runFlow('pause-resume.xml', transport);
      await expectRecording(callId, [[0, 120]], [[0, 120]]);
    }, 30_000);

    it('Cisco CUBE network-based recording: plain SDP, no metadata, BYE without To-tag', async () => {
      const { callId, call } = await runFlow('cube-network-based-recording.xml', transport);
      expect(call.channelMapping.rule).toBe('label-order');
      expect(call.siprec?.extensions['Session-ID']).toContain('3a7c5f1e8d2b4c6a9e0f1a2b3c4d5e6f');
      expect(call.siprec?.dialect).toBe('none');
      await expectRecording(callId, [[0, 150]], [[0, 150]]);
    }, 30_000);

    it('Avaya SBCE: the UPDATE naming the real second party fills the unknown toNumber', async () => {
      const { callId, call } = await runFlow('avaya-sbce-placeholder.xml', transport);
      expect(call).toMatchObject({
        fromNumber: '13035381001',
        toNumber: '7204541001',
        numbersSetBy: { toNumber: 'metadata-update' },
      });
      expect(aors(call)).toContain('sip:7204541001@10.64.110.32');
      const events = flows.eventsOf(callId);
      const start = events.find((e) => e.EventType === 'START');
      expect(start).toMatchObject({ SystemPhoneNumber: '' });
      const filled = events.findIndex(
        (e) => e.EventType === 'CALL_STATE' && e.SystemPhoneNumber === '7204541001',
      );
      const end = events.findIndex((e) => e.EventType === 'END');
      expect(filled).toBeGreaterThan(-1);
      expect(filled).toBeLessThan(end);
      expect(events[end]).toMatchObject({ SystemPhoneNumber: '7204541001' });
      await expectRecording(callId, [[0, 350]], [[0, 350]]);
    }, 30_000);
  });
});
