import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowServer, type FlowServer } from '../support/sipp-flow-harness.js';
import { tools } from '../support/tools.js';

const sipp = tools.sipp();

const PROBE_MS = 1000;
const T1_MS = 50;
const TRANSACTION_MS = 64 * T1_MS;
const SESSION_EXPIRES_S = 2;
/** RFC 4028 §10: the non-refresher gives up min(32 s, interval/3) before the interval ends. */
const EXPIRY_MS = SESSION_EXPIRES_S * 1000 - Math.min(32_000, (SESSION_EXPIRES_S * 1000) / 3);
/** Room for a loaded 2-core box shared with other test runs. */
const SLACK_MS = 2500;

/**
 * Invariant (issue 10 §3): no call stays live once its dialog is gone. sipp kills dialogs every
 * way an SRC can (lost BYE with a held call and session timers, lost BYE without timers and the
 * probe answered 481, the SRC vanishing altogether, the SRC losing the dialog while callscribe
 * refreshes) and each call must reach END with the right reason within the configured times.
 * Streams are held (`a=inactive`), so the media timeout can never be what ends them.
 */
describe.skipIf(!sipp.available)('no call stays live once its dialog is gone (sipp)', () => {
  let flows: FlowServer;

  beforeAll(async () => {
    flows = await startFlowServer({
      sipT1Ms: T1_MS,
      dialogProbeIntervalMs: PROBE_MS,
      sipMinSessionExpiresS: SESSION_EXPIRES_S,
      mediaTimeoutMs: 1500,
    });
  });
  afterAll(async () => {
    await flows?.stop();
  });

  const endOf = async (callId: string, withinMs: number) => {
    await expect
      .poll(async () => (await flows.call(callId))?.state, {
        timeout: withinMs + SLACK_MS,
        interval: 50,
      })
      .toBe('ENDED');
    const call = await flows.call(callId);
    if (call === undefined) throw new Error('call record missing');
    const durationMs =
      Date.parse(call.callStreamingEndTime) - Date.parse(call.callStreamingStartTime);
    await expect.poll(() => flows.eventsOf(callId).map((e) => e.EventType)).toContain('END');
    return { call, durationMs };
  };

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('lost BYE, held call with a session timer the SRC stops refreshing: session-expired, BYE sent', async () => {
      const callId = flows.newCallId(`timer-${transport}`);
      const run = flows.runScenario({ scenario: 'timers-lost-bye.xml', transport, callId });
      // Two refreshes 1 s apart, then the timer runs out.
      const { call, durationMs } = await endOf(callId, 2000 + EXPIRY_MS);
      expect(call.endReason).toBe('session-expired');
      expect(durationMs).toBeGreaterThanOrEqual(2000 + EXPIRY_MS - 200);
      expect(durationMs).toBeLessThan(2000 + EXPIRY_MS + SLACK_MS);
      const result = await run;
      expect(result.code, result.output).toBe(0); // the recorder's BYE reached the SRC
    }, 30_000);

    it('refresher=uas: callscribe refreshes by UPDATE; a 481 to a refresh ends it (session-expired)', async () => {
      const callId = flows.newCallId(`uas-${transport}`);
      const result = await flows.runScenario({
        scenario: 'timers-refresher-uas.xml',
        transport,
        callId,
      });
      expect(result.code, result.output).toBe(0);
      const { call, durationMs } = await endOf(callId, (2 * (SESSION_EXPIRES_S * 1000)) / 2);
      expect(call.endReason).toBe('session-expired');
      // Refreshes go at half the interval: the second one (answered 481) at about 2 s.
      expect(durationMs).toBeGreaterThanOrEqual(SESSION_EXPIRES_S * 1000 - 200);
    }, 30_000);

    it('lost BYE without timers, probe answered 481: dialog-lost after the probe interval', async () => {
      const callId = flows.newCallId(`probe481-${transport}`);
      const result = await flows.runScenario({ scenario: 'probe-481.xml', transport, callId });
      expect(result.code, result.output).toBe(0);
      const { call, durationMs } = await endOf(callId, PROBE_MS);
      expect(call.endReason).toBe('dialog-lost');
      expect(durationMs).toBeGreaterThanOrEqual(PROBE_MS - 100);
      expect(durationMs).toBeLessThan(PROBE_MS + SLACK_MS);
    }, 30_000);

    it('the SRC vanishes: the probe gets no answer, dialog-lost after probe interval + 64*T1', async () => {
      const callId = flows.newCallId(`gone-${transport}`);
      const result = await flows.runScenario({
        scenario: 'probe-no-answer.xml',
        transport,
        callId,
      });
      expect(result.code, result.output).toBe(0);
      const { call, durationMs } = await endOf(callId, PROBE_MS + TRANSACTION_MS);
      expect(call.endReason).toBe('dialog-lost');
      expect(durationMs).toBeGreaterThanOrEqual(PROBE_MS + TRANSACTION_MS - 200);
      expect(durationMs).toBeLessThan(PROBE_MS + TRANSACTION_MS + SLACK_MS);
    }, 30_000);

    it('a held call whose SRC answers the probes stays up until its own BYE', async () => {
      const callId = flows.newCallId(`alive-${transport}`);
      const result = await flows.runScenario({ scenario: 'probe-answered.xml', transport, callId });
      expect(result.code, result.output).toBe(0);
      const { call, durationMs } = await endOf(callId, 0);
      expect(call.endReason).toBe('bye');
      expect(durationMs).toBeGreaterThanOrEqual(2 * PROBE_MS - 100);
    }, 30_000);

    it('a Session-Expires below Min-SE gets 422 with Min-SE, and the retry is recorded', async () => {
      const callId = flows.newCallId(`422-${transport}`);
      const result = await flows.runScenario({ scenario: 'timers-422.xml', transport, callId });
      expect(result.code, result.output).toBe(0);
      expect((await endOf(callId, 0)).call.endReason).toBe('bye');
    }, 30_000);
  });

  it('afterwards, no call is live on the node', async () => {
    for (const state of ['PENDING', 'PROCESSING', 'PAUSED'])
      await expect.poll(() => flows.metric('callscribe_calls', { state })).toBe(0);
  });
});
