import type { CallData, CallState, StartCallProcessingDetail } from './call.js';
import { AppError } from './errors.js';
import { markNumbersSetBy } from './party-numbers.js';
import { err, ok, type Result } from './result.js';

/**
 * PENDING → PROCESSING ⇄ PAUSED → ENDED, as pure functions. Each returns the next record or
 * the reason the transition is refused; callers persist with compare-and-set.
 */
const allowed: Readonly<Record<CallState, readonly CallState[]>> = {
  PENDING: ['PROCESSING', 'ENDED'],
  PROCESSING: ['PAUSED', 'ENDED'],
  PAUSED: ['PROCESSING', 'ENDED'],
  ENDED: [],
};

export function canTransition(from: CallState, to: CallState): boolean {
  return allowed[from].includes(to);
}

export type StartOutcome = 'started' | 'resumed' | 'already-processing';

/**
 * A call is ending once its end reason is recorded, before it reaches ENDED: its media is gone
 * and its last events are being published. No control event changes it any more.
 */
export function isEnding(call: CallData): boolean {
  return call.state !== 'ENDED' && call.endReason !== null;
}

function endedError(call: CallData): AppError {
  return new AppError(
    'CALL_ENDED',
    `call ended at ${call.callStreamingEndTime || 'an unknown time'}`,
    { details: { endReason: call.endReason } },
  );
}

/**
 * START_CALL_PROCESSING. A duplicate START is an idempotent no-op (`already-processing`);
 * a START for an ended (or ending) call is refused with CALL_ENDED.
 */
export function startProcessing(
  call: CallData,
  detail: StartCallProcessingDetail,
  nowIso: string,
): Result<{ call: CallData; outcome: StartOutcome }, AppError> {
  if (call.state === 'ENDED' || isEnding(call)) return err(endedError(call));
  if (call.state === 'PROCESSING') return ok({ call, outcome: 'already-processing' });
  const started: CallData = {
    ...call,
    state: 'PROCESSING',
    shouldProcessCall: true,
    callProcessingStartTime: call.callProcessingStartTime || nowIso,
    startCallProcessingEvent: { ...detail },
    agentId: nonEmpty(detail.agentId) ?? call.agentId,
    fromNumber: nonEmpty(detail.fromNumber) ?? call.fromNumber,
    toNumber: nonEmpty(detail.toNumber) ?? call.toNumber,
  };
  const next = markNumbersSetBy(started, 'control-event', {
    fromNumber: nonEmpty(detail.fromNumber),
    toNumber: nonEmpty(detail.toNumber),
  });
  return ok({ call: next, outcome: call.state === 'PAUSED' ? 'resumed' : 'started' });
}

export type StopOutcome = 'paused' | 'already-paused';

/** STOP_CALL_PROCESSING: no audio reaches the engine until the next START. */
export function pauseProcessing(
  call: CallData,
  processedMs: number,
): Result<{ call: CallData; outcome: StopOutcome }, AppError> {
  if (call.state === 'ENDED' || isEnding(call)) return err(endedError(call));
  if (call.state === 'PAUSED') return ok({ call, outcome: 'already-paused' });
  if (call.state === 'PENDING') {
    return err(
      new AppError('INVALID_TRANSITION', 'call is not being processed', {
        details: { state: call.state },
      }),
    );
  }
  return ok({
    call: {
      ...call,
      state: 'PAUSED',
      processedMsBeforePause: call.processedMsBeforePause + processedMs,
    },
    outcome: 'paused',
  });
}

export function updateAgent(call: CallData, agentId: string): Result<CallData, AppError> {
  if (call.state === 'ENDED' || isEnding(call)) return err(endedError(call));
  return ok({ ...call, agentId });
}

/** Ends a call in one step (a call refused at set-up: nothing to publish first). */
export function endCall(
  call: CallData,
  reason: string,
  nowIso: string,
): Result<CallData, AppError> {
  if (call.state === 'ENDED') {
    return err(
      new AppError('INVALID_TRANSITION', 'call already ended', { details: { state: call.state } }),
    );
  }
  return ok({ ...call, state: 'ENDED', callStreamingEndTime: nowIso, endReason: reason });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The first of the two steps that end a live call: the reason and end time are recorded while
 * the state stays live, so a crash before the last events are out leaves the call findable (it
 * is still live) and its reason known. A call already ending keeps its first reason and time.
 */
export function beginEnding(
  call: CallData,
  reason: string,
  nowIso: string,
): Result<CallData, AppError> {
  if (call.state === 'ENDED') {
    return err(
      new AppError('INVALID_TRANSITION', 'call already ended', { details: { state: call.state } }),
    );
  }
  if (isEnding(call)) return ok(call);
  return ok({ ...call, endReason: reason, callStreamingEndTime: nowIso });
}

/** The second step: its last events are stored, so the call is ENDED. */
export function completeEnding(call: CallData, nowIso: string): Result<CallData, AppError> {
  if (call.state === 'ENDED') {
    return err(
      new AppError('INVALID_TRANSITION', 'call already ended', { details: { state: call.state } }),
    );
  }
  return ok({
    ...call,
    state: 'ENDED',
    endReason: call.endReason ?? 'unknown',
    callStreamingEndTime: call.callStreamingEndTime || nowIso,
  });
}
