import { afterEach, describe, expect, it } from 'vitest';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';
import { frame8k } from '../support/media.js';
import { answeredSession } from '../support/answered-session.js';

type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
let h: Harness;
afterEach(async () => h?.close());

const park = functionHook(async () => ({ shouldProcessCall: false }));
const start = (callId: string, extra: Record<string, string> = {}) => ({
  type: 'START_CALL_PROCESSING' as const,
  detail: { callId, ...extra },
  ingress: 'putevents' as const,
});

async function parkedCall(options: Parameters<typeof buildAppHarness>[0] = {}) {
  h = await buildAppHarness({ hook: park, ...options });
  const decision = await answeredSession(h.service, newSession());
  if (!decision.accepted) throw new Error('session refused');
  return decision.handle;
}

describe('START_CALL_PROCESSING', () => {
  it('starts a parked call from now, applies the overrides and logs the seed steps', async () => {
    const handle = await parkedCall();
    expect(handle.wantsAudio()).toBe(false);
    const outcome = await h.router.submit(
      start('call-8', { agentId: 'BOB!', fromNumber: 'New IVR number', toNumber: 'New CallerID' }),
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({ status: 'applied', callId: 'call-8', code: null });
    expect(handle.wantsAudio()).toBe(true);
    const stored = await h.store.get('call-8');
    expect(stored?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'BOB!',
      fromNumber: 'New IVR number',
      toNumber: 'New CallerID',
    });
    expect(stored?.call.callProcessingStartTime).not.toBe('');
    const messages = h.captured.messages();
    for (const step of [
      'control event received',
      'START_CALL_PROCESSING event received, retrieving stored callData',
      'START_CALL_PROCESSING event contains agentId',
      'START_CALL_PROCESSING event contains fromNumber',
      'START_CALL_PROCESSING event contains toNumber',
      'write callData',
      'ready to start processing call',
    ]) {
      expect(messages).toContain(step);
    }
    // PII stays in redactable fields.
    expect(JSON.stringify(h.captured.lines)).not.toContain('New IVR number');
    expect(await h.router.outcome(outcome.eventId)).toEqual(outcome);
    const events = await h.eventStream.read({ callId: 'call-8' });
    expect(events.map((e) => e.event.EventType)).toEqual(['CALL_STATE', 'START', 'CALL_STATE']);
  });

  it('audio reaches the pipeline only after START', async () => {
    const handle = await parkedCall();
    handle.audio('CALLER', frame8k(new Int16Array(160)));
    expect(h.pipelines.samples.get('call-8')).toBeUndefined();
    await h.router.submit(start('call-8'), { holdIfUnknown: false });
    handle.audio('CALLER', frame8k(new Int16Array(160)));
    handle.audio('AGENT', frame8k(new Int16Array(160)));
    expect(h.pipelines.samples.get('call-8')).toEqual({ CALLER: 160, AGENT: 160 });
  });

  it('a duplicate START is an idempotent no-op', async () => {
    await parkedCall();
    await h.router.submit(start('call-8'), { holdIfUnknown: true });
    const second = await h.router.submit(start('call-8', { agentId: 'other' }), {
      holdIfUnknown: true,
    });
    expect(second).toMatchObject({ status: 'noop', reason: 'call is already processing' });
    expect((await h.store.get('call-8'))?.call.agentId).toBeNull();
    expect(h.captured.messages()).toContain('call is already processing; duplicate START ignored');
  });

  it('50 concurrent STARTs start the call exactly once', async () => {
    await parkedCall();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => h.router.submit(start('call-8'), { holdIfUnknown: true })),
    );
    expect(outcomes.filter((o) => o.status === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'noop')).toHaveLength(49);
    expect(h.pipelines.starts).toHaveLength(1);
  });

  it('a START for an ended call is rejected with its reason', async () => {
    const handle = await parkedCall();
    await handle.end('bye');
    const outcome = await h.router.submit(start('call-8'), { holdIfUnknown: true });
    expect(outcome).toMatchObject({
      status: 'rejected',
      code: 'CALL_ENDED',
      reason: 'call ended (bye)',
    });
    expect(h.captured.messages()).toContain(
      'control event for a call whose media is not held here',
    );
  });

  it('an unknown callId is rejected at once without holding', async () => {
    h = await buildAppHarness({ hook: park });
    const outcome = await h.router.submit(start('nope'), { holdIfUnknown: false });
    expect(outcome).toMatchObject({ status: 'rejected', code: 'CALL_NOT_FOUND' });
    expect(h.captured.messages()).toContain('no callData stored for this callId');
  });

  it('an unknown callId is held, then applied when the call arrives', async () => {
    h = await buildAppHarness({ hook: park });
    const pending = await h.router.submit(start('call-8', { agentId: 'early' }), {
      holdIfUnknown: true,
    });
    expect(pending).toMatchObject({ status: 'pending', callId: null });
    expect(h.captured.messages()).toContain('callId not known yet; control event held');
    const decision = await answeredSession(h.service, newSession());
    await expect
      .poll(async () => (await h.router.outcome(pending.eventId))?.status)
      .toBe('applied');
    expect(decision.accepted && decision.handle.wantsAudio()).toBe(true);
    expect((await h.store.get('call-8'))?.call.agentId).toBe('early');
  });

  it('a held event is rejected when no call arrives within pendingEventTtlMs', async () => {
    h = await buildAppHarness({ hook: park, pendingEventTtlMs: 100 });
    const pending = await h.router.submit(start('ghost'), { holdIfUnknown: true });
    await expect
      .poll(async () => (await h.router.outcome(pending.eventId))?.code, { timeout: 3000 })
      .toBe('CALL_NOT_FOUND');
    expect(h.captured.messages()).toContain('held control event expired: no such call arrived');
  });

  it('the original (pre-hook) callId is accepted through the cm# mapping', async () => {
    h = await buildAppHarness({
      hook: functionHook(async () => ({ callId: 'MODIFIED-call-8', shouldProcessCall: false })),
    });
    await answeredSession(h.service, newSession());
    const outcome = await h.router.submit(start('call-8'), { holdIfUnknown: false });
    expect(outcome).toMatchObject({
      status: 'applied',
      callId: 'MODIFIED-call-8',
      requestedCallId: 'call-8',
    });
  });
});

describe('STOP_CALL_PROCESSING and UPDATE_AGENT', () => {
  it('STOP pauses (no audio to the pipeline) and START resumes with offsets continuing', async () => {
    const handle = await parkedCall();
    await h.router.submit(start('call-8'), { holdIfUnknown: false });
    await new Promise((r) => setTimeout(r, 30));
    const stop = await h.router.submit(
      { type: 'STOP_CALL_PROCESSING', detail: { callId: 'call-8' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(stop).toMatchObject({ status: 'applied', reason: 'processing paused' });
    expect(handle.wantsAudio()).toBe(false);
    handle.audio('CALLER', frame8k(new Int16Array(160)));
    expect(h.pipelines.samples.get('call-8')).toEqual({ CALLER: 0, AGENT: 0 });
    const again = await h.router.submit(
      { type: 'STOP_CALL_PROCESSING', detail: { callId: 'call-8' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(again.status).toBe('noop');
    const resume = await h.router.submit(start('call-8'), { holdIfUnknown: false });
    expect(resume).toMatchObject({ status: 'applied', reason: 'processing resumed' });
    expect(h.pipelines.starts[1]?.offsetMs).toBeGreaterThanOrEqual(25);
    expect(h.captured.messages()).toContain('processing paused by STOP_CALL_PROCESSING');
  });

  it('STOP on a parked call is rejected as an invalid transition', async () => {
    await parkedCall();
    const stop = await h.router.submit(
      { type: 'STOP_CALL_PROCESSING', detail: { callId: 'call-8' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(stop).toMatchObject({ status: 'rejected', code: 'INVALID_TRANSITION' });
  });

  it('UPDATE_AGENT sets the agent and publishes UPDATE_AGENT', async () => {
    await parkedCall();
    const outcome = await h.router.submit(
      {
        type: 'UPDATE_AGENT',
        detail: { callId: 'call-8', agentId: 'Bob the Builder' },
        ingress: 'putevents',
      },
      { holdIfUnknown: false },
    );
    expect(outcome.status).toBe('applied');
    expect((await h.store.get('call-8'))?.call.agentId).toBe('Bob the Builder');
    const events = await h.eventStream.read({ callId: 'call-8' });
    expect(events.map((e) => e.event)).toContainEqual(
      expect.objectContaining({ EventType: 'UPDATE_AGENT', AgentId: 'Bob the Builder' }),
    );
    const repeat = await h.router.submit(
      {
        type: 'UPDATE_AGENT',
        detail: { callId: 'call-8', agentId: 'Bob the Builder' },
        ingress: 'putevents',
      },
      { holdIfUnknown: false },
    );
    expect(repeat.status).toBe('noop');
  });

  it('UPDATE_AGENT without agentId is rejected', async () => {
    await parkedCall();
    const outcome = await h.router.submit(
      { type: 'UPDATE_AGENT', detail: { callId: 'call-8' }, ingress: 'putevents' },
      { holdIfUnknown: false },
    );
    expect(outcome).toMatchObject({ status: 'rejected', code: 'INVALID_CONTROL_EVENT' });
  });

  it('counts outcomes in metrics', async () => {
    await parkedCall();
    await h.router.submit(start('call-8'), { holdIfUnknown: false });
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(
      /callscribe_control_events_total\{type="START_CALL_PROCESSING",status="applied",code=""\} 1/,
    );
  });
});

describe('a BYE racing a control event', () => {
  /** Ends the call right after the control event's own write reached the store. */
  function endAfterWrite(handle: { end(reason: string): Promise<void> }, state: string) {
    const compareAndSet = h.store.compareAndSet.bind(h.store);
    h.store.compareAndSet = async (callId, version, next) => {
      const stored = await compareAndSet(callId, version, next);
      if (next.state === state) void handle.end('bye');
      return stored;
    };
  }

  it.each([
    ['STOP_CALL_PROCESSING', 'PAUSED', true],
    ['START_CALL_PROCESSING', 'PROCESSING', false],
  ] as const)(
    '%s: nothing is published after the closing events, and the event is refused',
    async (type, state, startFirst) => {
      const handle = await parkedCall();
      if (startFirst) await h.router.submit(start('call-8'), { holdIfUnknown: false });
      endAfterWrite(handle, state);
      const outcome = await h.router.submit(
        { type, detail: { callId: 'call-8' }, ingress: 'putevents' },
        { holdIfUnknown: false },
      );
      expect(outcome).toMatchObject({
        status: 'rejected',
        code: 'CALL_ENDED',
        reason: 'call ended (bye)',
      });
      await expect.poll(async () => (await h.store.get('call-8'))?.call.state).toBe('ENDED');
      const types = (await h.eventStream.read({ callId: 'call-8' })).map((e) =>
        e.event.EventType === 'CALL_STATE' ? `CALL_STATE ${e.event.State}` : e.event.EventType,
      );
      expect(types.at(-1)).toMatch(/^(END|CALL_STATE ENDED|ADD_S3_RECORDING_URL)$/);
      expect(types.slice(types.indexOf('CALL_STATE ENDED'))).not.toContain(`CALL_STATE ${state}`);
    },
  );
});
