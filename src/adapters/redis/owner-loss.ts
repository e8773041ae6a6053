import type { Logger } from 'pino';
import { callStateEvent } from '../../app/call-event-publisher.js';
import { updateCall } from '../../app/update-call.js';
import type { CallEvent } from '../../domain/call-event.js';
import { endCall } from '../../domain/call-lifecycle.js';
import type { CallEventStream } from '../../ports/call-event-stream.js';
import type { CallStore } from '../../ports/call-store.js';
import type { RedisMetrics } from './redis-metrics.js';

export interface OwnerLossDeps {
  store: CallStore;
  eventStream: CallEventStream;
  log: Logger;
  now: () => number;
  metrics?: RedisMetrics;
}

/**
 * Ends a call whose owning node is gone: its media went with the node, so the record is marked
 * ENDED (`owner-lost`) by compare-and-set and the END events the owner would have sent are
 * published. Of several nodes noticing at once, only the one whose write wins publishes.
 */
export async function endOwnerLostCall(deps: OwnerLossDeps, callId: string): Promise<boolean> {
  const log = deps.log.child({ callId });
  const nowMs = deps.now();
  const nowIso = new Date(nowMs).toISOString();
  const { stored, written } = await updateCall(deps.store, callId, (current) => {
    const ended = endCall(current.call, 'owner-lost', nowIso);
    return ended.ok ? { write: ended.value, outcome: null } : { noop: null };
  });
  if (!written) return false;
  deps.metrics?.ownerLost.inc();
  log.warn(
    { ownerNodeId: stored.call.ownerNodeId },
    'call ended: its owning node stopped renewing its lease',
  );
  const base = { CallId: callId, CreatedAt: nowIso };
  const events: CallEvent[] = [
    { ...base, ...callStateEvent(stored.call) } as CallEvent,
    {
      ...base,
      EventType: 'END',
      CustomerPhoneNumber: stored.call.fromNumber,
      SystemPhoneNumber: stored.call.toNumber,
    },
  ];
  for (const event of events) {
    try {
      await deps.eventStream.append(event);
    } catch (err) {
      log.error({ err, eventType: event.EventType }, 'owner-lost call event could not be stored');
    }
  }
  return true;
}
