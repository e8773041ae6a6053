import type { CallEvent, CallRecord } from '../api/types.js';

/**
 * Folds a call event into a call record so lists and headers update at once; the full record
 * is refetched afterwards for what events do not carry (mapping rule, SIPREC data).
 * Returns the same object when nothing visible changed, so memoised rows skip rendering.
 */
export function applyCallEvent(record: CallRecord, event: CallEvent): CallRecord {
  switch (event.EventType) {
    case 'CALL_STATE': {
      if (record.state === 'ENDED' && event.State !== 'ENDED') return record;
      const next: CallRecord = {
        ...record,
        state: event.State,
        fromNumber: event.CustomerPhoneNumber || record.fromNumber,
        toNumber: event.SystemPhoneNumber || record.toNumber,
        agentId: event.AgentId ?? record.agentId,
      };
      if (event.HeldChannels) next.heldChannels = event.HeldChannels;
      if (event.EngineFailover) {
        const f = event.EngineFailover;
        next.engineFailover = {
          from: f.From,
          to: f.To,
          reason: f.Reason as NonNullable<CallRecord['engineFailover']>['reason'],
          channel: f.Channel,
          at: f.At,
          switchMs: f.SwitchMs,
        };
      }
      if (event.State === 'PROCESSING' && record.callProcessingStartTime === '') {
        next.callProcessingStartTime = event.CreatedAt;
      }
      if (event.State === 'ENDED' && record.callStreamingEndTime === '')
        next.callStreamingEndTime = event.CreatedAt;
      return next;
    }
    case 'START':
      if (record.state === 'ENDED') return record;
      return {
        ...record,
        state: 'PROCESSING',
        callProcessingStartTime: record.callProcessingStartTime || event.CreatedAt,
        fromNumber: event.CustomerPhoneNumber || record.fromNumber,
        toNumber: event.SystemPhoneNumber || record.toNumber,
        agentId: event.AgentId ?? record.agentId,
        metadatajson: event.Metadatajson ?? record.metadatajson,
      };
    case 'UPDATE_AGENT':
      return record.agentId === event.AgentId ? record : { ...record, agentId: event.AgentId };
    case 'END':
      if (record.state === 'ENDED') return record;
      return {
        ...record,
        state: 'ENDED',
        callStreamingEndTime: record.callStreamingEndTime || event.CreatedAt,
      };
    case 'ADD_TRANSCRIPT_SEGMENT':
    case 'ADD_S3_RECORDING_URL':
      return record;
  }
}

/** A placeholder for a call first seen through an event, until its record is fetched. */
export function recordFromEvent(event: CallEvent): CallRecord {
  const base: CallRecord = {
    callId: event.CallId,
    originalCallId: event.CallId,
    state: 'PENDING',
    callStreamingStartTime: event.CreatedAt,
    callProcessingStartTime: '',
    callStreamingEndTime: '',
    fromNumber: '',
    toNumber: '',
    agentId: null,
    metadatajson: null,
    languageCode: '',
    shouldRecordCall: false,
    channelMapping: {
      callerStreamLabel: null,
      agentStreamLabel: null,
      rule: '',
      swappedByHook: false,
    },
    siprec: null,
    endReason: null,
    version: 0,
    expiresAfter: 0,
  };
  return applyCallEvent(base, event);
}

/** Events that may change fields only the full record has, worth a refetch. */
export function changesRecord(event: CallEvent): boolean {
  return event.EventType !== 'ADD_TRANSCRIPT_SEGMENT' && event.EventType !== 'ADD_S3_RECORDING_URL';
}
