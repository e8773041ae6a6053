import type { Channel } from './call.js';

/**
 * Recording by forking at a phone (Cisco Unified CM's Built-in-Bridge) gives one dialog per
 * voice: the near end is the phone whose line records (the agent), the far end the party it
 * talks to (the customer). Each dialog carries one stream.
 */
export type RecordedEnd = 'near' | 'far';

/** The stream label each end's voice has in the paired call's channel mapping. */
export const RECORDED_END_LABELS: Readonly<Record<RecordedEnd, string>> = {
  near: 'near-end',
  far: 'far-end',
};

/** Near end → AGENT, far end → CALLER, before any swap by the hook. */
export function channelOfEnd(end: RecordedEnd): Channel {
  return end === 'near' ? 'AGENT' : 'CALLER';
}

export function otherEnd(end: RecordedEnd): RecordedEnd {
  return end === 'near' ? 'far' : 'near';
}
