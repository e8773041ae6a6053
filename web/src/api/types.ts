import type { CallEvent, StoredCallEvent } from '../../../src/domain/call-event.js';
import type { CallData } from '../../../src/domain/call.js';
import type { ControlOutcome } from '../../../src/domain/control-event.js';

export type { CallEvent, StoredCallEvent, ControlOutcome };
export type { CallState, Channel } from '../../../src/domain/call.js';

/** A call as `GET /api/calls` returns it: the call data plus the store's version and expiry. */
export type CallRecord = Pick<
  CallData,
  | 'callId'
  | 'originalCallId'
  | 'state'
  | 'callStreamingStartTime'
  | 'callProcessingStartTime'
  | 'callStreamingEndTime'
  | 'fromNumber'
  | 'toNumber'
  | 'agentId'
  | 'metadatajson'
  | 'languageCode'
  | 'shouldRecordCall'
  | 'channelMapping'
  | 'siprec'
  | 'endReason'
  | 'engineFailover'
  | 'heldChannels'
> & { version: number; expiresAfter: number };

/** Optional overrides the operator may give with START_CALL_PROCESSING. */
export interface StartRequest {
  agentId?: string;
  toNumber?: string;
  fromNumber?: string;
}

/** What a start/stop request came back with; `outcome` is absent only when the server sent none. */
export interface ControlReply {
  httpStatus: number;
  outcome: ControlOutcome | null;
  code: string | null;
  message: string | null;
}
