import type { CallData } from '../../src/domain/call.js';

export function sampleCall(overrides: Partial<CallData> = {}): CallData {
  return {
    callId: 'call-8',
    originalCallId: 'call-8',
    state: 'PENDING',
    callStreamingStartTime: '2026-11-25T11:59:00.000Z',
    callProcessingStartTime: '',
    callStreamingEndTime: '',
    shouldProcessCall: false,
    shouldRecordCall: true,
    fromNumber: '+15551230001',
    toNumber: '+15559870000',
    agentId: null,
    metadatajson: null,
    languageCode: 'en-US',
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'label-order',
      swappedByHook: false,
    },
    startCallProcessingEvent: null,
    endReason: null,
    ownerNodeId: 'node-a',
    siprec: null,
    processedMsBeforePause: 0,
    ...overrides,
  };
}
