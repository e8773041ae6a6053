import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallData } from '../../src/domain/call.js';
import {
  startFlowServer,
  type FlowServer,
  type SippTransport,
} from '../support/sipp-flow-harness.js';
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

  const lenientWarnings = (callId: string, code: string) =>
    flows
      .logLines()
      .filter((l) => l.code === code && l.level === 40 && String(l.sipCallId) === callId).length;
  const lenientCount = (code: string) =>
    flows.metric('callscribe_sip_lenient_total', { reason: code });

  /**
   * Runs a sloppy scenario to the end (sipp fails on any answer but the expected 200s), waits
   * for the call to end, and checks each relaxation was counted and warned about once.
   */
  async function runSloppy(options: {
    scenario: string;
    transport: SippTransport;
    codes: string[];
    keys?: Record<string, string>;
  }): Promise<CallData | undefined> {
    const callId = flows.newCallId(options.scenario.replace('.xml', ''));
    const before = await Promise.all(options.codes.map(lenientCount));
    const result = await flows.runScenario({ ...options, callId });
    expect(result.code, result.output).toBe(0);
    await expect
      .poll(async () => (await flows.call(callId))?.state, { timeout: 15_000 })
      .toBe('ENDED');
    for (const [i, code] of options.codes.entries()) {
      expect(await lenientCount(code)).toBeGreaterThan(before[i] ?? 0);
      expect(lenientWarnings(callId, code)).toBe(1);
    }
    return flows.call(callId);
  }

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it('a Contact without its closing ">" and an ACK with another CSeq: recorded, BYE over the INVITE flow', async () => {
      // sipp only passes when the recorder's BYE reached it: the Contact names 127.0.0.2:5999.
      const call = await runSloppy({
        scenario: 'sloppy-contact-ack.xml',
        transport,
        codes: ['contact-malformed', 'ack-cseq-mismatch'],
      });
      // Not ack-timeout: the ACK stopped the 200's retransmissions.
      expect(call?.endReason).toBe('media-timeout');
    }, 30_000);

    it('a BYE without To-tag ends the recording it names with 200', async () => {
      const call = await runSloppy({
        scenario: 'sloppy-bye-no-to-tag.xml',
        transport,
        codes: ['missing-to-tag'],
      });
      expect(call?.endReason).toBe('bye');
    }, 30_000);

    it.each([
      ['5 BYE', 'cseq-out-of-order'],
      ['22 INVITE', 'cseq-method-mismatch'],
    ])(
      'a BYE with CSeq "%s" ends the recording with 200 (%s)',
      async (cseq, code) => {
        const call = await runSloppy({
          scenario: 'sloppy-bye-cseq.xml',
          transport,
          codes: [code],
          keys: { bye_cseq: cseq },
        });
        expect(call?.endReason).toBe('bye');
      },
      30_000,
    );
  });
});
