/**
 * Demo call-initialization hook: park every call.
 *
 * Each call is recorded as PENDING with no audio sent to the speech engine until a
 * START_CALL_PROCESSING event names it (the LCA pattern for skipping the IVR and queue). The
 * callId is returned unchanged, so START_CALL_PROCESSING uses the id the SBC sent.
 *
 *   CALLSCRIBE_HOOK=./examples/hooks/park-all.mjs callscribe serve
 */
export default async function parkAll(event) {
  const { detail } = event;
  return {
    callId: detail.callId,
    shouldProcessCall: false,
    metadatajson: JSON.stringify({
      parkedBy: 'park-all',
      direction: detail.direction,
      streamingStartedAt: detail.startTime,
      recorderClient: detail.inviteHeaders['user-agent'] ?? null,
    }),
  };
}
