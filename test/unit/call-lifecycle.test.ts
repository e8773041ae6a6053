import { describe, expect, it } from 'vitest';
import type { CallData, CallState } from '../../src/domain/call.js';
import {
  canTransition,
  endCall,
  pauseProcessing,
  startProcessing,
  updateAgent,
} from '../../src/domain/call-lifecycle.js';
import { sampleCall } from '../support/sample-call.js';

const states: CallState[] = ['PENDING', 'PROCESSING', 'PAUSED', 'ENDED'];
const allowed = new Set([
  'PENDING>PROCESSING',
  'PENDING>ENDED',
  'PROCESSING>PAUSED',
  'PROCESSING>ENDED',
  'PAUSED>PROCESSING',
  'PAUSED>ENDED',
]);
const now = '2026-11-25T12:00:00.000Z';

describe('call lifecycle', () => {
  for (const from of states) {
    for (const to of states) {
      const key = `${from}>${to}`;
      it(`${key} is ${allowed.has(key) ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).toBe(allowed.has(key));
      });
    }
  }

  it('START on a parked call processes it from now and applies the overrides', () => {
    const call = sampleCall({ state: 'PENDING', agentId: null });
    const r = startProcessing(
      call,
      { callId: call.callId, agentId: 'BOB!', fromNumber: 'New IVR number', toNumber: '' },
      now,
    );
    expect(r.ok && r.value.outcome).toBe('started');
    const next = (r as { ok: true; value: { call: CallData } }).value.call;
    expect(next).toMatchObject({
      state: 'PROCESSING',
      callProcessingStartTime: now,
      agentId: 'BOB!',
      fromNumber: 'New IVR number',
      toNumber: call.toNumber,
    });
    expect(next.startCallProcessingEvent).toEqual({
      callId: call.callId,
      agentId: 'BOB!',
      fromNumber: 'New IVR number',
      toNumber: '',
    });
  });

  it('START on a processing call is an idempotent no-op', () => {
    const call = sampleCall({ state: 'PROCESSING' });
    const r = startProcessing(call, { callId: call.callId, agentId: 'x' }, now);
    expect(r).toEqual({ ok: true, value: { call, outcome: 'already-processing' } });
  });

  it('START on a paused call resumes it and keeps the first processing start time', () => {
    const call = sampleCall({
      state: 'PAUSED',
      callProcessingStartTime: '2026-11-25T11:00:00.000Z',
    });
    const r = startProcessing(call, { callId: call.callId }, now);
    expect(r.ok && r.value.outcome).toBe('resumed');
    expect(r.ok && r.value.call.callProcessingStartTime).toBe('2026-11-25T11:00:00.000Z');
  });

  it('START on an ended call is refused with CALL_ENDED', () => {
    const r = startProcessing(
      sampleCall({ state: 'ENDED', endReason: 'bye' }),
      { callId: 'c' },
      now,
    );
    expect(!r.ok && r.error.code).toBe('CALL_ENDED');
  });

  it('STOP pauses a processing call and accumulates processed time', () => {
    const r = pauseProcessing(
      sampleCall({ state: 'PROCESSING', processedMsBeforePause: 1000 }),
      2500,
    );
    expect(r.ok && r.value.call).toMatchObject({ state: 'PAUSED', processedMsBeforePause: 3500 });
  });

  it.each([
    ['PENDING', 'INVALID_TRANSITION'],
    ['ENDED', 'CALL_ENDED'],
  ] as const)('STOP on a %s call is refused with %s', (state, code) => {
    const r = pauseProcessing(sampleCall({ state }), 0);
    expect(!r.ok && r.error.code).toBe(code);
  });

  it('STOP on a paused call is a no-op', () => {
    const r = pauseProcessing(sampleCall({ state: 'PAUSED' }), 0);
    expect(r.ok && r.value.outcome).toBe('already-paused');
  });

  it('ending records the time and reason once', () => {
    const r = endCall(sampleCall({ state: 'PAUSED' }), 'bye', now);
    expect(r.ok && r.value).toMatchObject({
      state: 'ENDED',
      callStreamingEndTime: now,
      endReason: 'bye',
    });
    const again = endCall(sampleCall({ state: 'ENDED' }), 'bye', now);
    expect(!again.ok && again.error.code).toBe('INVALID_TRANSITION');
  });

  it('UPDATE_AGENT changes the agent unless the call ended', () => {
    expect(updateAgent(sampleCall({ state: 'PENDING' }), 'a2')).toMatchObject({
      ok: true,
      value: { agentId: 'a2' },
    });
    expect(updateAgent(sampleCall({ state: 'ENDED' }), 'a2')).toMatchObject({ ok: false });
  });
});
