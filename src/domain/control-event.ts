import type { StartCallProcessingDetail } from './call.js';

/** The control events callscribe acts on; everything else on the bus is ignored. */
export type ControlEventType = 'START_CALL_PROCESSING' | 'STOP_CALL_PROCESSING' | 'UPDATE_AGENT';

export const CONTROL_EVENT_SOURCE = 'lca-solution';

export const controlEventTypes: readonly ControlEventType[] = [
  'START_CALL_PROCESSING',
  'STOP_CALL_PROCESSING',
  'UPDATE_AGENT',
];

export type ControlEventIngress =
  'putevents' | 'eventbridge-target' | 'rest' | 'cli' | 'ui' | 'forwarded';

export interface ControlEvent {
  eventId: string;
  type: ControlEventType;
  detail: StartCallProcessingDetail;
  receivedAt: string;
  ingress: ControlEventIngress;
}

/**
 * `pending`: the callId is not known yet and the event is held for `pendingEventTtlMs`.
 * `applied`: the call changed. `noop`: already in the requested state. `rejected`: see code.
 */
export type ControlOutcomeStatus = 'pending' | 'applied' | 'noop' | 'rejected';

export interface ControlOutcome {
  eventId: string;
  type: ControlEventType;
  status: ControlOutcomeStatus;
  /** The callId the event resolved to (after the `cm#` mapping), when known. */
  callId: string | null;
  requestedCallId: string;
  /** Stable error code when rejected (`CALL_NOT_FOUND`, `CALL_ENDED`, ...). */
  code: string | null;
  reason: string;
  receivedAt: string;
  decidedAt: string | null;
}

export function isControlEventType(value: unknown): value is ControlEventType {
  return typeof value === 'string' && (controlEventTypes as readonly string[]).includes(value);
}
