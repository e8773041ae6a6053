import type { CallRecord } from '../api/types.js';

/** "on hold" next to the state while the SRC holds the call (both channels) or one channel. */
export function HoldBadge({ call }: { call: Pick<CallRecord, 'state' | 'heldChannels'> }) {
  const held = call.heldChannels ?? [];
  if (call.state === 'ENDED' || held.length === 0) return null;
  const text = held.length === 2 ? 'on hold' : `${held[0]?.toLowerCase() ?? ''} on hold`;
  return (
    <span class="badge badge-hold" data-testid="hold-badge">
      {text}
    </span>
  );
}
