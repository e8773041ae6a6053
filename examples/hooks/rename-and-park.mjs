/**
 * LCA's example call-initialization hook (lca-chimevc-stack/LambdaHookFunction.md), adapted:
 * the same Lambda-style `handler` export, so an existing LCA hook can be dropped in as is.
 *
 * Differences from the LCA example: the call is parked (shouldProcessCall: false) instead of
 * processed, channels are not swapped (isCaller: true; false would swap caller and agent),
 * and the language stays en-US, which the default pocketsphinx engine understands.
 *
 * Remember the rename: START_CALL_PROCESSING must name `MODIFIED-<original id>` (callscribe
 * also accepts the original id and maps it, LCA's CallTranscriber does not).
 *
 *   CALLSCRIBE_HOOK=./examples/hooks/rename-and-park.mjs callscribe serve
 */
export const handler = async (event) => {
  const response = {
    originalCallId: event.detail.callId, // informational, ignored as in LCA
    shouldProcessCall: false,
    isCaller: true,
    callId: `MODIFIED-${event.detail.callId}`,
    agentId: 'Bob the Builder',
    fromNumber: "Bob's cell",
    toNumber: 'Demo Asterisk',
    shouldRecordCall: false,
    metadatajson: JSON.stringify({ key1: 'value1', key2: 'value2' }),
    transcribeLanguageCode: 'en-US',
  };
  return response;
};
