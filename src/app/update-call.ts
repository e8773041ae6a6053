import { AppError } from '../domain/errors.js';
import type { Result } from '../domain/result.js';
import type { CallData } from '../domain/call.js';
import type { CallStore, StoredCall } from '../ports/call-store.js';

export type UpdateDecision<T> =
  { write: CallData; outcome: T } | { noop: T } | { refuse: AppError };

const MAX_ATTEMPTS = 8;

/**
 * Read → decide → compare-and-set, retried on a lost race. The decision sees the freshest
 * record each time, so of two racing STARTs the loser re-reads PROCESSING and becomes a no-op.
 */
export async function updateCall<T>(
  store: CallStore,
  callId: string,
  decide: (current: StoredCall) => UpdateDecision<T>,
  /** A record the caller just read; saves the first read (a stale one only costs a retry). */
  alreadyRead?: StoredCall,
): Promise<{ stored: StoredCall; outcome: T; written: boolean }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = attempt === 0 && alreadyRead ? alreadyRead : await store.get(callId);
    if (!current) throw new AppError('CALL_NOT_FOUND', `no call ${callId}`);
    const decision = decide(current);
    if ('refuse' in decision) throw decision.refuse;
    if ('noop' in decision) return { stored: current, outcome: decision.noop, written: false };
    const stored = await store.compareAndSet(callId, current.version, decision.write);
    if (stored) return { stored, outcome: decision.outcome, written: true };
  }
  throw new AppError(
    'CONCURRENT_UPDATE',
    `call ${callId} kept changing; gave up after ${MAX_ATTEMPTS} attempts`,
    {
      retryable: true,
    },
  );
}

/** Adapts a pure lifecycle function's Result to an update decision. */
export function fromResult<T>(
  result: Result<{ call: CallData; outcome: T }, AppError>,
  isNoop: (o: T) => boolean,
): UpdateDecision<T> {
  if (!result.ok) return { refuse: result.error };
  return isNoop(result.value.outcome)
    ? { noop: result.value.outcome }
    : { write: result.value.call, outcome: result.value.outcome };
}
