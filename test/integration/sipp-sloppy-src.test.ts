import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowServer, type FlowServer } from '../support/sipp-flow-harness.js';
import { tools } from '../support/tools.js';

const sipp = tools.sipp();

/**
 * Issue 10 §1 with sipp as the SRC, over UDP and TCP: each sloppy request still gets its
 * recording through, is counted by rule, and is logged once per dialog.
 */
describe.skipIf(!sipp.available)('a sloppy SRC (sipp) is accepted leniently', () => {
  let flows: FlowServer;

  beforeAll(async () => {
    // T1 = 50 ms: an unmatched ACK would end the call by ack-timeout after 3.2 s, before the
    // 5 s media timeout that is expected to end the malformed-Contact call.
    flows = await startFlowServer({ mediaTimeoutMs: 5000 });
  });
  afterAll(async () => {
    await flows?.stop();
  });

  const ended = async (callId: string) => {
    await expect
      .poll(async () => (await flows.call(callId))?.state, { timeout: 15_000 })
      .toBe('ENDED');
    return flows.call(callId);
  };
  const lenientWarnings = (callId: string, code: string) =>
    flows
      .logLines()
      .filter((l) => l.code === code && l.level === 40 && String(l.sipCallId) === callId).length;

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('a Contact without its closing ">" and an ACK with another CSeq: recorded, BYE over the INVITE flow', async () => {
      const callId = flows.newCallId(`contact-${transport}`);
      const before = await flows.metric('callscribe_sip_lenient_total', {
        reason: 'contact-malformed',
      });
      const beforeAck = await flows.metric('callscribe_sip_lenient_total', {
        reason: 'ack-cseq-mismatch',
      });
      const result = await flows.runScenario({
        scenario: 'sloppy-contact-ack.xml',
        transport,
        callId,
      });
      // sipp only passes when the recorder's BYE reached it: the Contact names 127.0.0.2:5999.
      expect(result.code, result.output).toBe(0);
      const call = await ended(callId);
      expect(call?.endReason).toBe('media-timeout');
      expect(
        await flows.metric('callscribe_sip_lenient_total', { reason: 'contact-malformed' }),
      ).toBe(before + 1);
      expect(
        await flows.metric('callscribe_sip_lenient_total', { reason: 'ack-cseq-mismatch' }),
      ).toBeGreaterThan(beforeAck);
      expect(lenientWarnings(callId, 'contact-malformed')).toBe(1);
      expect(lenientWarnings(callId, 'ack-cseq-mismatch')).toBe(1);
    }, 30_000);

    it('a BYE without To-tag ends the recording it names with 200', async () => {
      const callId = flows.newCallId(`notag-${transport}`);
      const before = await flows.metric('callscribe_sip_lenient_total', {
        reason: 'missing-to-tag',
      });
      const result = await flows.runScenario({
        scenario: 'sloppy-bye-no-to-tag.xml',
        transport,
        callId,
      });
      expect(result.code, result.output).toBe(0);
      expect((await ended(callId))?.endReason).toBe('bye');
      expect(await flows.metric('callscribe_sip_lenient_total', { reason: 'missing-to-tag' })).toBe(
        before + 1,
      );
      expect(lenientWarnings(callId, 'missing-to-tag')).toBe(1);
    }, 30_000);

    it.each([
      ['5 BYE', 'cseq-out-of-order'],
      ['22 INVITE', 'cseq-method-mismatch'],
    ])(
      'a BYE with CSeq "%s" ends the recording with 200 (%s)',
      async (cseq, code) => {
        const callId = flows.newCallId(`cseq-${transport}`);
        const before = await flows.metric('callscribe_sip_lenient_total', { reason: code });
        const result = await flows.runScenario({
          scenario: 'sloppy-bye-cseq.xml',
          transport,
          callId,
          keys: { bye_cseq: cseq },
        });
        expect(result.code, result.output).toBe(0);
        expect((await ended(callId))?.endReason).toBe('bye');
        expect(await flows.metric('callscribe_sip_lenient_total', { reason: code })).toBe(
          before + 1,
        );
        expect(lenientWarnings(callId, code)).toBe(1);
      },
      30_000,
    );
  });
});
