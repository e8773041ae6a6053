import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFlowServer, type FlowServer } from '../support/sipp-flow-harness.js';
import { tools } from '../support/tools.js';

const sipp = tools.sipp();

/**
 * Keeps this process's event loop (the server's main thread: the server runs in-process) busy
 * in back-to-back chunks until stopped, as a node carrying more calls than it can serve would
 * be. Between chunks the loop still polls, so SIP, HTTP and the scrape are served, late.
 */
function saturate(chunkMs: number): { stop(): Promise<void> } {
  let running = true;
  let stopped: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const chunk = (): void => {
    if (!running) return stopped();
    const until = performance.now() + chunkMs;
    while (performance.now() < until) {
      // busy, as a saturated loop is
    }
    setImmediate(chunk);
  };
  setImmediate(chunk);
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

async function health(flows: FlowServer) {
  const response = await fetch(`${flows.server.baseUrl}/healthz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const siprecCall = '../siprec-uac.xml';

describe.skipIf(!sipp.available)('overload over real SIP (sipp as the SBC)', () => {
  let flows: FlowServer | undefined;
  let load: { stop(): Promise<void> } | undefined;
  const hookDir = mkdtempSync(join(tmpdir(), 'callscribe-hook-'));

  afterAll(() => rmSync(hookDir, { recursive: true, force: true }));
  afterEach(async () => {
    await load?.stop();
    load = undefined;
    await flows?.stop();
    flows = undefined;
  });

  it('a saturated main thread: lag is read as it is, INVITE and OPTIONS get 503 with Retry-After, /healthz says so (503); calls are taken again once it recovers', async () => {
    flows = await startFlowServer({ admissionMaxLagMs: 100, admissionRetryAfterS: 7 });
    // The node's threads (main and media workers) settle after start on a loaded box too.
    await expect
      .poll(async () => (await health(flows!)).body.status, { timeout: 10_000, interval: 200 })
      .toBe('ok');
    const before = await flows.runScenario({
      scenario: siprecCall,
      transport: 'u1',
      callId: flows.newCallId('before'),
    });
    expect(before.code, before.output).toBe(0);
    // A loaded test box can lag on its own for a moment: start from a node that admits.
    await expect
      .poll(async () => (await health(flows!)).body.status, { timeout: 10_000, interval: 200 })
      .toBe('ok');

    // 150 ms chunks: every timer tick is that late, above the 100 ms limit.
    load = saturate(150);
    // The scrape is served between two busy chunks: the window it reports must show them.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const lagP99 = await flows.metric('callscribe_event_loop_lag_p99_seconds', { thread: 'main' });
    const utilization = await flows.metric('callscribe_event_loop_utilization', {
      thread: 'main',
    });
    expect(lagP99).toBeGreaterThan(0.1);
    expect(utilization).toBeGreaterThan(0.7);

    await expect
      .poll(async () => (await health(flows!)).body, { timeout: 5000, interval: 200 })
      .toMatchObject({ status: 'overloaded', overload: ['lag'] });
    expect((await health(flows)).status).toBe(503);
    const refusedId = flows.newCallId('refused');
    for (const transport of ['u1', 't1'] as const) {
      const refused = await flows.runScenario({
        scenario: 'invite-refused-503.xml',
        transport,
        callId: `${transport}-${refusedId}`,
      });
      expect(refused.code, refused.output).toBe(0);
    }
    const probe = await flows.runScenario({
      scenario: 'options-overloaded.xml',
      transport: 'u1',
      callId: flows.newCallId('options'),
    });
    expect(probe.code, probe.output).toBe(0);
    expect(await flows.call(`u1-${refusedId}`)).toBeUndefined();
    expect(
      await flows.metric('callscribe_admission_refused_total', { reason: 'lag' }),
    ).toBeGreaterThanOrEqual(2);

    await load.stop();
    load = undefined;
    await expect
      .poll(async () => (await health(flows!)).body.status, { timeout: 8000, interval: 200 })
      .toBe('ok');
    expect((await health(flows)).status).toBe(200);
    const after = await flows.runScenario({
      scenario: siprecCall,
      transport: 'u1',
      callId: flows.newCallId('after'),
    });
    expect(after.code, after.output).toBe(0);
  }, 60_000);

  it('past the CPU limit new INVITEs get 503 (reason cpu)', async () => {
    // The lag limit is out of the way: only CPU can refuse here.
    flows = await startFlowServer({ admissionMaxLagMs: 60_000, admissionMaxCpuPercent: 5 });
    load = saturate(5);
    await expect
      .poll(async () => (await health(flows!)).body, { timeout: 8000, interval: 200 })
      .toMatchObject({ status: 'overloaded', overload: ['cpu'] });
    const refused = await flows.runScenario({
      scenario: 'invite-refused-503.xml',
      transport: 't1',
      callId: flows.newCallId('cpu'),
    });
    expect(refused.code, refused.output).toBe(0);
    expect(await flows.metric('callscribe_admission_refused_total', { reason: 'cpu' })).toBe(1);
  }, 40_000);

  it('at maxConcurrentCalls a new INVITE gets 503 (reason calls) while the first call goes on', async () => {
    flows = await startFlowServer({ maxConcurrentCalls: 1 });
    const firstId = flows.newCallId('first');
    const first = flows.runScenario({
      scenario: '../siprec-uac-media.xml',
      transport: 'u1',
      callId: firstId,
      keys: { media_seconds: '3' },
    });
    await expect.poll(async () => (await flows!.call(firstId))?.state).toBe('PROCESSING');
    expect((await health(flows)).body).toMatchObject({
      status: 'overloaded',
      overload: ['calls'],
      liveCalls: 1,
    });
    const refused = await flows.runScenario({
      scenario: 'invite-refused-503.xml',
      transport: 'u1',
      callId: flows.newCallId('second'),
    });
    expect(refused.code, refused.output).toBe(0);
    const done = await first;
    expect(done.code, done.output).toBe(0);
    await expect.poll(async () => (await health(flows!)).body.status).toBe('ok');
  }, 40_000);

  describe.each(['u1', 't1'] as const)('sipp -t %s', (transport) => {
    it("a set-up that outlives the SBC's INVITE transaction is answered 503 at the deadline, never 200, and leaves no call, no event and no port behind", async () => {
      // Timer B is 64×T1 = 3.2 s; the hook takes 4 s.
      const hook = join(hookDir, 'slow-hook.mjs');
      writeFileSync(
        hook,
        'export default async () => { await new Promise((r) => setTimeout(r, 4000)); return {}; };\n',
      );
      flows = await startFlowServer({ sipT1Ms: 50, hookTimeoutMs: 10_000, hook });
      const callId = flows.newCallId('late');
      const startedMs = performance.now();
      const result = await flows.runScenario({
        scenario: 'invite-refused-503.xml',
        transport,
        callId,
      });
      const answeredAfterMs = performance.now() - startedMs;
      expect(result.code, result.output).toBe(0);
      // 60×T1 after receipt: before the SBC's 64×T1, and well before the hook is done.
      expect(answeredAfterMs).toBeGreaterThanOrEqual(2900);
      expect(answeredAfterMs).toBeLessThan(3900);
      expect(await flows.metric('callscribe_sip_late_setups_total')).toBe(1);

      // Once the hook is done: nothing stored, nothing published, no port held.
      await expect
        .poll(() =>
          flows!
            .logLines()
            .some((l) => l.msg === 'set-up abandoned by the SBC before the call was stored'),
        )
        .toBe(true);
      expect(await flows.call(callId)).toBeUndefined();
      expect(flows.eventsOf(callId)).toEqual([]);
      expect(await flows.metric('callscribe_media_sessions')).toBe(0);
      expect(await flows.metric('callscribe_calls', { state: 'PROCESSING' })).toBe(0);
    }, 40_000);
  });
});
