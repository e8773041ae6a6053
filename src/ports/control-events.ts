import type { StartCallProcessingDetail } from '../domain/call.js';
import type {
  ControlEventIngress,
  ControlEventType,
  ControlOutcome,
} from '../domain/control-event.js';

export interface ControlRequest {
  type: ControlEventType;
  detail: StartCallProcessingDetail;
  ingress: ControlEventIngress;
  /** Given by PutEvents (the entry's EventId) or the EventBridge envelope `id`; generated otherwise. */
  eventId?: string;
}

/**
 * The driving port every ingress (PutEvents, EventBridge target, REST, CLI, UI) uses. One router
 * decides; every outcome is recorded and readable by event id.
 */
export interface ControlEvents {
  /**
   * Applies the event. With `holdIfUnknown`, an unknown callId yields a `pending` outcome and is
   * retried until `pendingEventTtlMs`, then rejected with CALL_NOT_FOUND; without it, the
   * unknown callId is rejected at once (REST answers 404).
   */
  submit(request: ControlRequest, options: { holdIfUnknown: boolean }): Promise<ControlOutcome>;
  outcome(eventId: string): Promise<ControlOutcome | undefined>;
}
