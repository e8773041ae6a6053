import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { answeredSession } from '../support/answered-session.js';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';

/**
 * A control event held for a call that has not arrived was acknowledged (`pending`): a crash
 * or restart of the node must not drop it. The restarted node takes it back before calls arrive.
 */
type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const park = functionHook(async () => ({ shouldProcessCall: false }));
const start = (callId: string, agentId: string) => ({
  type: 'START_CALL_PROCESSING' as const,
  detail: { callId, agentId },
  ingress: 'putevents' as const,
});

async function crashedWithHeldStart(pendingEventTtlMs = 30_000) {
  const first = await buildAppHarness({ hook: park, pendingEventTtlMs });
  dirs.push(first.dataDir);
  const pending = await first.router.submit(start('call-8', 'early'), { holdIfUnknown: true });
  expect(pending.status).toBe('pending');
  await first.crash();
  return { dataDir: first.dataDir, eventId: pending.eventId };
}

async function restart(dataDir: string, pendingEventTtlMs = 30_000) {
  const h = await buildAppHarness({ hook: park, dataDir, pendingEventTtlMs });
  open.push(h);
  return h;
}

describe('held control events across a restart', () => {
  it('a START held before a crash applies when the call arrives after the restart', async () => {
    const { dataDir, eventId } = await crashedWithHeldStart();
    const h = await restart(dataDir);
    expect(await h.router.restoreHeld()).toBe(1);
    expect(h.captured.messages()).toContain('held control events restored');

    const decision = await answeredSession(h.service, newSession());
    if (!decision.accepted) throw new Error('session refused');
    await expect.poll(async () => (await h.router.outcome(eventId))?.status).toBe('applied');
    expect((await h.store.get('call-8'))?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'early',
    });
    await expect.poll(() => h.heldEvents.list('node-a')).toEqual([]);
  });

  it('a call that arrived meanwhile gets the event at once; an expired hold is rejected', async () => {
    const { dataDir, eventId } = await crashedWithHeldStart(60_000);
    const h = await restart(dataDir);
    const decision = await answeredSession(h.service, newSession());
    if (!decision.accepted) throw new Error('session refused');
    expect(await h.router.restoreHeld()).toBe(1);
    expect(await h.router.outcome(eventId)).toMatchObject({ status: 'applied', callId: 'call-8' });

    const late = await crashedWithHeldStart(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const h2 = await restart(late.dataDir, 50);
    expect(await h2.router.restoreHeld()).toBe(1);
    expect(await h2.router.outcome(late.eventId)).toMatchObject({
      status: 'rejected',
      code: 'CALL_NOT_FOUND',
    });
    expect(await h2.heldEvents.list('node-a')).toEqual([]);
  });

  it('drops a held copy whose pending outcome was never stored (never acknowledged)', async () => {
    const { dataDir } = await crashedWithHeldStart();
    const h = await restart(dataDir);
    await h.heldEvents.add('node-a', {
      request: { ...start('call-9', 'x'), eventId: 'never-acknowledged' },
      receivedAt: new Date().toISOString(),
      expiresAtMs: Date.now() + 30_000,
    });
    expect(await h.router.restoreHeld()).toBe(1);
    expect((await h.heldEvents.list('node-a')).map((e) => e.request.eventId)).not.toContain(
      'never-acknowledged',
    );
    expect(await h.router.outcome('never-acknowledged')).toBeUndefined();
  });
});
