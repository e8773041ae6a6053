import type { CallData } from '../domain/call.js';
import type { ControlOutcome } from '../domain/control-event.js';

/**
 * Call data in LCA's layout: `cd#<callId>` / `BOTH` holds the call, `cm#<originalCallId>` /
 * `CALL_ID_MAPPING` maps the pre-hook id to the current one. Every write refreshes the record's
 * expiry (`ttlMs`, one day by default); an expired record reads as absent.
 *
 * `version` increases on every write and makes `compareAndSet` safe against racing writers,
 * e.g. two START_CALL_PROCESSING events for one call.
 */
export interface StoredCall {
  call: CallData;
  version: number;
  createdAt: string;
  /** Epoch seconds, LCA's `ExpiresAfter`. */
  expiresAfter: number;
}

export interface CallListQuery {
  state?: CallData['state'];
  limit?: number;
}

export interface CallStore {
  /** Writes a new call and its `cm#` mapping. Fails with CALL_ALREADY_EXISTS if `cd#<callId>` is live. */
  create(call: CallData): Promise<StoredCall>;
  get(callId: string): Promise<StoredCall | undefined>;
  /** The current callId for a pre-hook (original) callId, from `cm#`. */
  resolveOriginalCallId(originalCallId: string): Promise<string | undefined>;
  /** Writes `next` only if the stored version still equals `expectedVersion`; undefined otherwise. */
  compareAndSet(
    callId: string,
    expectedVersion: number,
    next: CallData,
  ): Promise<StoredCall | undefined>;
  list(query?: CallListQuery): Promise<StoredCall[]>;
  putControlOutcome(outcome: ControlOutcome): Promise<void>;
  getControlOutcome(eventId: string): Promise<ControlOutcome | undefined>;
  /** Deletes expired records; returns how many went. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}
