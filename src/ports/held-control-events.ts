import type { ControlRequest } from './control-events.js';

/** A control event acknowledged as `pending`: held until its call arrives or its hold runs out. */
export interface HeldControlEvent {
  request: ControlRequest & { eventId: string };
  receivedAt: string;
  /** When the hold runs out and the event is rejected with CALL_NOT_FOUND (epoch ms). */
  expiresAtMs: number;
}

/**
 * Where a node keeps the control events it holds, so that they outlive the process: a
 * `pending` outcome was acknowledged, and a crash or restart must not drop the event behind it.
 * Each node keeps and reads back only its own.
 */
export interface HeldControlEvents {
  /** Durable before it resolves: only then is the `pending` outcome acknowledged. */
  add(nodeId: string, held: HeldControlEvent): Promise<void>;
  remove(nodeId: string, eventId: string): Promise<void>;
  /** This node's held events, oldest first. */
  list(nodeId: string): Promise<HeldControlEvent[]>;
}
