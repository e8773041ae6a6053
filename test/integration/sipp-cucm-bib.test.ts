import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallData } from '../../src/domain/call.js';
import { encodeG711, loadSource, timed } from '../support/codec-clips.js';
import { writeRtpPcap } from '../support/pcap.js';
import { repoRoot } from '../support/server-harness.js';
import { locate, rms, wavChannel } from '../support/signal.js';
import {
  startFlowServer,
  type FlowServer,
  type SippTransport,
} from '../support/sipp-flow-harness.js';
import { freePort } from '../support/sipp-runner.js';
import { startStunnel, stunnelTool, type RunningStunnel } from '../support/stunnel.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { tools } from '../support/tools.js';

const ready = [tools.sipp(), tools.ffmpeg(), tools.sox(), tools.openssl(), stunnelTool()].every(
  (t) => t.available,
);

type Transport = SippTransport | 'tls';

const PAIRING_WINDOW_MS = 6000;
/** The lost-BYE leg's RFC 4028 interval: it expires interval − interval/3 = 8 s after its set-up. */
const DEAD_LEG_SESSION_EXPIRES_S = 12;
const MEDIA_S = 4;

/**
 * Cisco CUCM Built-in-Bridge recording (issue 15 §2) with sipp as CUCM over UDP, TCP and TLS: one
 * sipp run per dialog, each an INVITE without SDP (delayed offer) whose From URI carries CUCM's
 * x-nearend/x-farend, x-refci, x-farendrefci, addresses and devices, its ACK answering PCMU (near
 * end) or PCMA (far end), and RTP of the sample call encoded by sox. The two dialogs must make one
 * call, named by the recorded call's GUID (callIdSource cisco-guid), the near end on the AGENT
 * channel and the far end on the CALLER channel, both in the recording and both transcribed.
 * Faults: a leg alone, legs 3 s apart, and a leg whose BYE is lost (its session timer ends it).
 */
describe.skipIf(!ready)('CUCM Built-in-Bridge recording (sipp as CUCM, real server)', () => {
  let flows: FlowServer;
  /** The same server set-up with SIP over TLS, reached through stunnel4 as CUCM's TLS. */
  let tlsFlows: FlowServer;
  let tunnel: RunningStunnel | undefined;
  let tunnelPort = 0;
  let pki: TestPki | undefined;
  let workDir: string;
  const agent = loadSourceOnce('agent', 0.5);
  const caller = loadSourceOnce('caller', 4.5);
  const pcaps = { near: '', far: '' };
  const serverSettings = {
    callIdSource: 'cisco-guid',
    bibPairingWindowMs: PAIRING_WINDOW_MS,
    // Longer than any leg's silence: only BYEs and session timers end these calls.
    mediaTimeoutMs: 30_000,
    sipMinSessionExpiresS: DEAD_LEG_SESSION_EXPIRES_S,
  };
  let run = 0;

  function loadSourceOnce(channel: 'agent' | 'caller', fromS: number) {
    let pcm: Int16Array | undefined;
    return () => (pcm ??= loadSource(channel, fromS, MEDIA_S).pcm8k);
  }

  beforeAll(async () => {
    flows = await startFlowServer(serverSettings);
    pki = createTestPki();
    const ca = pki.createCa('BiB TLS Test CA');
    const serverCert = ca.issue({ commonName: 'callscribe.test', san: ['IP:127.0.0.1'] });
    tlsFlows = await startFlowServer({
      ...serverSettings,
      sipTransports: 'udp,tls',
      sipTlsPort: 0,
      tlsCertFile: serverCert.certFile,
      tlsKeyFile: serverCert.keyFile,
    });
    tunnelPort = await freePort();
    tunnel = await startStunnel([
      {
        name: 'cucm-out',
        client: true,
        accept: tunnelPort,
        connect: tlsFlows.server.running.sipPorts.tls ?? 0,
        caFile: ca.certFile,
        checkIp: '127.0.0.1',
      },
    ]);
    workDir = mkdtempSync(join(tmpdir(), 'callscribe-bib-'));
    pcaps.near = join(workDir, 'near-pcmu.pcap');
    pcaps.far = join(workDir, 'far-pcma.pcap');
    writeRtpPcap(pcaps.near, timed(encodeG711('PCMU', agent())));
    writeRtpPcap(pcaps.far, timed(encodeG711('PCMA', caller())));
  }, 60_000);
  afterAll(async () => {
    await tunnel?.stop();
    await tlsFlows?.stop();
    pki?.remove();
    await flows?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** The recorded call's GUID and CUCM's call leg ids, new for each call. */
  function newCall() {
    run += 1;
    const refci = String(38_960_000 + 2 * run + (process.pid % 1000) * 1000);
    return {
      guid: `694646BC1D2311E7A8D2${String(process.pid).padStart(6, '0')}${String(run).padStart(6, '0')}`,
      refci,
      farendrefci: String(Number(refci) - 1),
    };
  }

  const serverOf = (transport: Transport) => (transport === 'tls' ? tlsFlows : flows);

  function leg(
    transport: Transport,
    call: ReturnType<typeof newCall>,
    end: 'near' | 'far',
    options: { mediaMs?: number; lostBye?: boolean } = {},
  ) {
    const server = serverOf(transport);
    return server.runScenario({
      scenario: options.lostBye ? 'cucm-bib-leg-lost-bye.xml' : 'cucm-bib-leg.xml',
      transport: transport === 'tls' ? 't1' : transport,
      ...(transport === 'tls' ? { targetPort: tunnelPort } : {}),
      callId: server.newCallId(`bib-${end}-${transport}`),
      keys: {
        via_transport: { u1: 'UDP', t1: 'TCP', tls: 'TLS' }[transport],
        contact_transport: { u1: 'udp', t1: 'tcp', tls: 'tls' }[transport],
        replay: join(repoRoot, 'test', 'sipp', 'replay-pcap.mjs'),
        end: end === 'near' ? 'x-nearend' : 'x-farend',
        refci: call.refci,
        farendrefci: call.farendrefci,
        farendguid: call.guid,
        cisco_guid: `${end === 'near' ? 11 : 12}-0000065536-0000000011-1512058894`,
        pt: end === 'near' ? '0' : '8',
        codec: end === 'near' ? 'PCMU' : 'PCMA',
        pcap: end === 'near' ? pcaps.near : pcaps.far,
        media_ms: String(options.mediaMs ?? 4500),
        session_expires: String(options.lostBye ? DEAD_LEG_SESSION_EXPIRES_S : 1800),
      },
      timeoutMs: 40_000,
    });
  }

  async function ended(callId: string, server = flows): Promise<CallData> {
    await expect
      .poll(async () => (await server.call(callId))?.state, { timeout: 20_000, interval: 100 })
      .toBe('ENDED');
    await expect.poll(() => server.eventsOf(callId).map((e) => e.EventType)).toContain('END');
    const call = await server.call(callId);
    if (call === undefined) throw new Error('no call record');
    return call;
  }

  async function recording(callId: string, server = flows) {
    const response = await fetch(
      `${server.server.baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
    );
    expect(response.status).toBe(200);
    const wav = Buffer.from(await response.arrayBuffer());
    return { caller: wavChannel(wav, 0), agent: wavChannel(wav, 1) };
  }

  /**
   * Each 2 s half of the source is found in the channel, in order, decoded nearly exactly. Halves,
   * not the whole: the two dialogs are sent by two processes, and on a loaded machine one may
   * stall long enough for the recording to pad its channel with silence mid-way. The lag allowed
   * is wide: each leg's RTP comes from a node process of its own, slow to start on a busy box.
   */
  function expectCarries(source: Int16Array, recorded: Int16Array, maxLagMs = 6000): number {
    const half = source.length / 2;
    const first = locate(source.subarray(0, half), recorded, 8000, maxLagMs);
    const second = locate(
      source.subarray(half),
      recorded.subarray(Math.max(0, first.lag) + half),
      8000,
      1500,
    );
    expect(first.correlation).toBeGreaterThan(0.95);
    expect(second.correlation).toBeGreaterThan(0.95);
    return first.lag;
  }

  const transcribedChannels = (callId: string, server = flows) =>
    new Set(
      server
        .eventsOf(callId)
        .filter((e) => e.EventType === 'ADD_TRANSCRIPT_SEGMENT')
        .map((e) => ('Channel' in e ? e.Channel : undefined)),
    );

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('two delayed-offer dialogs (near PCMU, far PCMA) make one call: far end CALLER, near end AGENT, both transcribed', async () => {
      const call = newCall();
      const [near, far] = await Promise.all([
        leg(transport, call, 'near'),
        leg(transport, call, 'far'),
      ]);
      expect(near.code, near.output).toBe(0);
      expect(far.code, far.output).toBe(0);
      const record = await ended(call.guid);
      expect(record).toMatchObject({
        endReason: 'bye',
        fromNumber: '9110006',
        toNumber: '9110001',
        channelMapping: {
          callerStreamLabel: 'far-end',
          agentStreamLabel: 'near-end',
          rule: 'near-end-far-end',
        },
      });
      expect(record.siprec?.dialect).toBe('cucm-bib');
      expect(record.siprec?.participants.map((p) => [p.aor, p.name])).toEqual([
        ['9110001', 'SEP001795BDD16B'],
        ['9110006', 'SEP0018195AA209'],
      ]);
      const events = flows.eventsOf(call.guid);
      expect(events.filter((e) => e.EventType === 'START')).toHaveLength(1);
      expect(events.filter((e) => e.EventType === 'END')).toHaveLength(1);

      const wav = await recording(call.guid);
      expect(wav.caller.sampleRateHz).toBe(8000);
      expect(rms(caller())).toBeGreaterThan(300);
      expect(rms(agent())).toBeGreaterThan(300);
      expectCarries(caller(), wav.caller.pcm);
      expectCarries(agent(), wav.agent.pcm);
      expect(transcribedChannels(call.guid)).toEqual(new Set(['CALLER', 'AGENT']));
    }, 60_000);

    it('only one leg arrives: recorded alone, the CALLER channel silent', async () => {
      const call = newCall();
      const near = await leg(transport, call, 'near', { mediaMs: PAIRING_WINDOW_MS + 2500 });
      expect(near.code, near.output).toBe(0);
      const record = await ended(call.guid);
      expect(record.endReason).toBe('bye');
      const wav = await recording(call.guid);
      expectCarries(agent(), wav.agent.pcm);
      expect(wav.caller.pcm.length).toBe(wav.agent.pcm.length);
      expect(wav.caller.pcm.every((s) => s === 0)).toBe(true);
      expect(transcribedChannels(call.guid)).toEqual(new Set(['AGENT']));
      expect(
        flows
          .logLines()
          .some(
            (l) =>
              l['callId'] === call.guid &&
              l['msg'] ===
                'no partner dialog within the pairing window; the other channel stays silent',
          ),
      ).toBe(true);
    }, 60_000);

    it('the legs arrive 3 s apart: the far end joins the call, its channel starting late', async () => {
      const call = newCall();
      const near = leg(transport, call, 'near', { mediaMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const far = await leg(transport, call, 'far');
      expect(far.code, far.output).toBe(0);
      // The call goes on after the far end's BYE: the near end is still there.
      expect((await flows.call(call.guid))?.state).toBe('PROCESSING');
      expect((await near).code).toBe(0);
      const record = await ended(call.guid);
      expect(record.endReason).toBe('bye');
      const wav = await recording(call.guid);
      // Silence until the far end's dialog came, about 3 s in.
      expect(expectCarries(caller(), wav.caller.pcm, 9000)).toBeGreaterThan(2 * 8000);
      expect(rms(wav.caller.pcm, 0, 2 * 8000)).toBe(0);
      expectCarries(agent(), wav.agent.pcm);
      expect(transcribedChannels(call.guid)).toEqual(new Set(['CALLER', 'AGENT']));
    }, 60_000);

    it("the far leg's BYE is lost: its session timer ends it, and only then the call (session-expired)", async () => {
      const call = newCall();
      const far = leg(transport, call, 'far', { lostBye: true });
      const near = await leg(transport, call, 'near');
      expect(near.code, near.output).toBe(0);
      expect((await flows.call(call.guid))?.state).toBe('PROCESSING');
      const record = await ended(call.guid);
      expect(record.endReason).toBe('session-expired');
      const result = await far;
      expect(result.code, result.output).toBe(0); // the recorder's BYE reached "CUCM"
      const wav = await recording(call.guid);
      expectCarries(caller(), wav.caller.pcm);
      expectCarries(agent(), wav.agent.pcm);
    }, 60_000);
  });

  it("over TLS (stunnel4 as CUCM's TLS): both dialogs pair; the far leg's lost BYE is answered by a BYE over its TLS connection", async () => {
    const call = newCall();
    const far = leg('tls', call, 'far', { lostBye: true });
    const near = await leg('tls', call, 'near');
    expect(near.code, near.output).toBe(0);
    const record = await ended(call.guid, tlsFlows);
    expect(record).toMatchObject({
      endReason: 'session-expired',
      fromNumber: '9110006',
      toNumber: '9110001',
      channelMapping: { rule: 'near-end-far-end' },
    });
    const result = await far;
    expect(result.code, result.output).toBe(0);
    const wav = await recording(call.guid, tlsFlows);
    expectCarries(caller(), wav.caller.pcm);
    expectCarries(agent(), wav.agent.pcm);
    expect(transcribedChannels(call.guid, tlsFlows)).toEqual(new Set(['CALLER', 'AGENT']));
  }, 60_000);

  it('afterwards, no call is live and none waits for a partner', async () => {
    for (const server of [flows, tlsFlows])
      for (const state of ['PENDING', 'PROCESSING', 'PAUSED'])
        await expect.poll(() => server.metric('callscribe_calls', { state })).toBe(0);
  });
});
