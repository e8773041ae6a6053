import type { CallSiprecInfo, Channel } from '../../domain/call.js';
import type { LiveCallHandle } from '../../ports/call-sessions.js';

/**
 * Stands in for a call the core refused but the SBC was still answered 200 for: the RTP layer
 * sees `wantsAudio() === false` and drops packets unparsed, so the SBC gets no ICMP errors and
 * no reason to tear down or retry the recording.
 */
export function discardingCallHandle(callId: string): LiveCallHandle {
  return {
    callId,
    preRollMs: 0,
    wantsAudio: () => false,
    channelForLabel: (): Channel | null => null,
    audio: () => undefined,
    preRoll: () => undefined,
    metadataUpdated: (_siprec: CallSiprecInfo) => undefined,
    holdChanged: () => undefined,
    answered: () => Promise.resolve(),
    end: () => Promise.resolve(),
  };
}
