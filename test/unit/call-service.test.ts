import { afterEach, describe, expect, it } from 'vitest';
import { normalizeHookResponse } from '../../src/domain/hook-contract.js';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';
import { frame8k } from '../support/media.js';
import { answeredSession } from '../support/answered-session.js';

type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
let h: Harness;
afterEach(async () => h?.close());

describe('hook response normalisation (LCA contract)', () => {
  it('keeps strict booleans and non-empty strings only', () => {
    const r = normalizeHookResponse({
      callId: '',
      agentId: 'a',
      shouldProcessCall: 'false',
      isCaller: false,
      shouldRecordCall: 0,
      metadatajson: '{"k":1}',
      unknownField: 'x',
    });
    expect(r).toEqual({
      ok: true,
      value: { agentId: 'a', isCaller: false, metadatajson: '{"k":1}' },
    });
  });

  it('refuses a reply that is not an object', () => {
    expect(normalizeHookResponse('nope')).toMatchObject({ ok: false });
    expect(normalizeHookResponse([1])).toMatchObject({ ok: false });
    expect(normalizeHookResponse(null)).toEqual({ ok: true, value: {} });
  });
});

describe('session start', () => {
  it('without a hook the call is processed at once', async () => {
    h = await buildAppHarness();
    const d = await answeredSession(h.service, newSession());
    expect(d.accepted && d.handle.wantsAudio()).toBe(true);
    expect((await h.store.get('call-8'))?.call.state).toBe('PROCESSING');
  });

  it('persists every hook field even when the call is parked, and swaps channels on isCaller=false', async () => {
    let seen: unknown;
    h = await buildAppHarness({
      hook: functionHook(async (event) => {
        seen = event;
        return {
          originalCallId: 'ignored',
          shouldProcessCall: false,
          isCaller: false,
          callId: 'MODIFIED-call-8',
          agentId: 'Bob the Builder',
          fromNumber: "Bob's cell",
          toNumber: 'Demo Asterisk',
          shouldRecordCall: false,
          metadatajson: JSON.stringify({ key1: 'value1' }),
          transcribeLanguageCode: 'fr-CA',
        };
      }),
    });
    const d = await answeredSession(h.service, newSession());
    expect(d.accepted && d.handle.callId).toBe('MODIFIED-call-8');
    expect(d.accepted && d.handle.channelForLabel('1')).toBe('AGENT');
    expect(d.accepted && d.handle.channelForLabel('2')).toBe('CALLER');
    const call = (await h.store.get('MODIFIED-call-8'))?.call;
    expect(call).toMatchObject({
      state: 'PENDING',
      originalCallId: 'call-8',
      agentId: 'Bob the Builder',
      fromNumber: "Bob's cell",
      toNumber: 'Demo Asterisk',
      shouldRecordCall: false,
      metadatajson: '{"key1":"value1"}',
      languageCode: 'fr-CA',
      callProcessingStartTime: '',
      channelMapping: {
        callerStreamLabel: '2',
        agentStreamLabel: '1',
        swappedByHook: true,
        rule: 'label-order',
      },
    });
    expect(await h.store.resolveOriginalCallId('call-8')).toBe('MODIFIED-call-8');
    expect(seen).toMatchObject({
      detail: {
        callId: 'call-8',
        fromNumber: '+15551230001',
        isCaller: true,
        streamingStatus: 'STARTED',
      },
    });
    expect(h.captured.messages()).toContain(
      'hook returned isCaller=false; caller and agent channels swapped',
    );
  });

  const failing = {
    timeout: functionHook(
      (_e, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({}))),
    ),
    thrown: functionHook(async () => {
      throw new Error('boom');
    }),
    'non-JSON reply': functionHook(async () => 'not json'),
  };

  for (const [kind, hook] of Object.entries(failing)) {
    for (const [policy, state, wants] of [
      ['park', 'PENDING', false],
      ['process', 'PROCESSING', true],
      ['reject', 'ENDED', false],
    ] as const) {
      it(`hook ${kind} with policy ${policy} → ${state}, logged`, async () => {
        h = await buildAppHarness({ hook, policy, hookTimeoutMs: 100 });
        const d = await answeredSession(h.service, newSession());
        expect(d.accepted).toBe(true);
        expect(d.accepted && d.handle.wantsAudio()).toBe(wants);
        const call = (await h.store.get('call-8'))?.call;
        expect(call?.state).toBe(state);
        if (policy === 'reject') expect(call?.endReason).toBe('hook-failed');
        const line = h.captured.lines.find((l) => l.msg === 'hook failed; applying failure policy');
        expect(line).toMatchObject({
          policy,
          code:
            kind === 'timeout'
              ? 'HOOK_TIMEOUT'
              : kind === 'thrown'
                ? 'HOOK_FAILED'
                : 'HOOK_INVALID_RESPONSE',
        });
      });
    }
  }

  it('ending a processed call flushes the pipeline, then publishes END after the state change', async () => {
    h = await buildAppHarness();
    const d = await answeredSession(h.service, newSession());
    if (!d.accepted) throw new Error('refused');
    d.handle.audio('CALLER', frame8k(new Int16Array(8000).fill(1000)));
    d.handle.audio('AGENT', frame8k(new Int16Array(8000).fill(-1000)));
    await d.handle.end('bye');
    await d.handle.end('bye');
    expect(h.pipelines.finished).toEqual(['call-8']);
    const types = (await h.eventStream.read({ callId: 'call-8' })).map((e) => e.event.EventType);
    expect(types).toEqual(['START', 'CALL_STATE', 'CALL_STATE', 'END', 'ADD_S3_RECORDING_URL']);
    expect((await h.store.get('call-8'))?.call).toMatchObject({ state: 'ENDED', endReason: 'bye' });
    expect(h.liveCalls.size).toBe(0);
  });

  it('publishes nothing until the SBC has the 200 OK: a set-up ended before that leaves no START', async () => {
    h = await buildAppHarness();
    const d = await h.service.sessionStarted(newSession());
    if (!d.accepted) throw new Error('refused');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await h.eventStream.read({ callId: 'call-8' })).toEqual([]);
    await d.handle.end('setup-timeout');
    const types = (await h.eventStream.read({ callId: 'call-8' })).map((e) => e.event.EventType);
    expect(types).not.toContain('START');
    expect(types).not.toContain('END');
    expect((await h.store.get('call-8'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'setup-timeout',
    });
    expect(h.liveCalls.size).toBe(0);
  });

  it('stores nothing for a set-up the SBC abandoned while the hook ran', async () => {
    const abandon = new AbortController();
    h = await buildAppHarness({
      hook: functionHook(async () => {
        abandon.abort();
        return {};
      }),
    });
    const d = await h.service.sessionStarted(newSession(), { abandoned: abandon.signal });
    expect(d).toMatchObject({ accepted: false, code: 'SETUP_ABANDONED' });
    expect(await h.store.get('call-8')).toBeUndefined();
    expect(h.liveCalls.size).toBe(0);
  });
});
