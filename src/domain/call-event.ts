import type { Channel } from './call.js';

/**
 * Call events in LCA's Kinesis "CallDataStream" schema (lca.js writers), so LCA's own
 * downstream consumers can follow them. Times in transcript segments are seconds from the start
 * of processing, as LCA sends them.
 */
interface CallEventBase<T extends string> {
  EventType: T;
  CallId: string;
  CreatedAt: string;
}

export type CallStartEvent = CallEventBase<'START'> & {
  CustomerPhoneNumber: string;
  SystemPhoneNumber: string;
  AgentId?: string;
  Metadatajson?: string;
};

export type AddTranscriptSegmentEvent = CallEventBase<'ADD_TRANSCRIPT_SEGMENT'> & {
  Channel: Channel;
  SegmentId: string;
  StartTime: number;
  EndTime: number;
  Transcript: string;
  IsPartial: boolean;
  Confidence?: number;
};

export type UpdateAgentEvent = CallEventBase<'UPDATE_AGENT'> & { AgentId: string };

export type CallEndEvent = CallEventBase<'END'> & {
  CustomerPhoneNumber: string;
  SystemPhoneNumber: string;
};

export type RecordingUrlEvent = CallEventBase<'ADD_S3_RECORDING_URL'> & { RecordingUrl: string };

/** callscribe additions, for the UI: the call exists but is parked, or was paused. */
export type CallStateEvent = CallEventBase<'CALL_STATE'> & {
  State: 'PENDING' | 'PROCESSING' | 'PAUSED' | 'ENDED';
  CustomerPhoneNumber: string;
  SystemPhoneNumber: string;
  AgentId?: string;
  /** Present once the call was first held: the channels on hold now (empty after resume). */
  HeldChannels?: Channel[];
  /** Present once the fallback engine transcribes the call (`engineFallback`). */
  EngineFailover?: {
    From: string;
    To: string;
    Reason: string;
    Channel: Channel;
    At: string;
    SwitchMs: number;
  };
};

export type CallEvent =
  | CallStartEvent
  | AddTranscriptSegmentEvent
  | UpdateAgentEvent
  | CallEndEvent
  | RecordingUrlEvent
  | CallStateEvent;

export type CallEventType = CallEvent['EventType'];

/** An event as stored: `id` is monotonic per stream and usable as SSE Last-Event-ID. */
export interface StoredCallEvent {
  id: string;
  event: CallEvent;
}
