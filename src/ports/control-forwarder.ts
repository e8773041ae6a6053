import type { ControlOutcome } from '../domain/control-event.js';
import type { ControlRequest } from './control-events.js';

/**
 * Delivers a control event to the node that holds the call (multi-node deployments). When that
 * node is gone (its lease ran out), the answer is `owner-gone` and the caller ends the call.
 */
export interface ControlForwarder {
  forward(
    ownerNodeId: string,
    request: ControlRequest & { eventId: string },
  ): Promise<ControlOutcome | 'owner-gone'>;
}
