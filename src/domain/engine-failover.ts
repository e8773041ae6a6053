import type { Channel } from './call.js';
import { isAppError } from './errors.js';

/**
 * Why an engine refused or lost a stream, as engines report it (`AppError.details.reason`), so
 * the failover policy and the metric label do not depend on any engine's own error names.
 * `backoff`: the primary was not even tried, because it failed recently.
 */
export const ENGINE_FAILURE_REASONS = [
  'quota',
  'connection',
  'credentials',
  'crash',
  'backoff',
  'other',
] as const;
export type EngineFailureReason = (typeof ENGINE_FAILURE_REASONS)[number];

/** A call's switch from its primary engine to the fallback: stored on the call record. */
export interface EngineFailover {
  from: string;
  to: string;
  reason: EngineFailureReason;
  channel: Channel;
  /** ISO time of the switch. */
  at: string;
  /** Failure noticed → fallback stream open and fed, in ms. */
  switchMs: number;
}

export function engineFailureReason(error: unknown): EngineFailureReason {
  const reason = isAppError(error) ? error.details.reason : undefined;
  return (ENGINE_FAILURE_REASONS as readonly unknown[]).includes(reason)
    ? (reason as EngineFailureReason)
    : 'other';
}

/** Failures a retry will not cure soon: the fallback takes over at once instead. */
export function isRefusal(reason: EngineFailureReason): boolean {
  return reason === 'quota' || reason === 'connection' || reason === 'credentials';
}
