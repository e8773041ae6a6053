import type { EngineFailover } from './engine-failover.js';

/**
 * The call record: LCA's CallData (lca-chimevc-stack call_transcriber `callData`) plus the
 * explicit lifecycle state LCA lacks. Timestamps are ISO-8601 strings so the record stays
 * byte-compatible with LCA's `cd#<callId>` / `BOTH` JSON blob.
 */
export type CallState = 'PENDING' | 'PROCESSING' | 'PAUSED' | 'ENDED';

export type Channel = 'CALLER' | 'AGENT';

/** How caller and agent were told apart; recorded so nobody has to guess later. */
export interface ChannelMapping {
  /** SDP `a=label` (or m-line index as a string when unlabelled) of the caller's stream. */
  callerStreamLabel: string | null;
  /** SDP `a=label` of the agent's stream. */
  agentStreamLabel: string | null;
  /** Which rule decided, e.g. `metadata-direction`, `label-order`, `agent-aor-pattern`, `single-stream`. */
  rule: string;
  /** True when the hook returned `isCaller: false` and the two channels were swapped. */
  swappedByHook: boolean;
}

export interface StartCallProcessingDetail {
  callId: string;
  agentId?: string;
  toNumber?: string;
  fromNumber?: string;
}

export interface SiprecParticipantInfo {
  participantId: string;
  aor: string | null;
  name: string | null;
  sendLabels: string[];
}

export interface CallSiprecInfo {
  /** Metadata dialect that was recognised: `rfc7865`, `legacy-draft`, `broadworks`, `none`. */
  dialect: string;
  participants: SiprecParticipantInfo[];
  /** Vendor extension data worth keeping (UCID, Cisco Session-ID / GUID, Oracle apkt:*). */
  extensions: Record<string, string>;
  /** The SBC's User-Agent, for operators matching per-SBC profiles. */
  userAgent: string | null;
}

export interface CallData {
  callId: string;
  /** The id before the hook renamed it (the recording INVITE's Call-ID by default). */
  originalCallId: string;
  state: CallState;
  callStreamingStartTime: string;
  /** Empty string while never processed, as in LCA. */
  callProcessingStartTime: string;
  /** Empty string while the call is live. */
  callStreamingEndTime: string;
  shouldProcessCall: boolean;
  shouldRecordCall: boolean;
  fromNumber: string;
  toNumber: string;
  agentId: string | null;
  metadatajson: string | null;
  languageCode: string;
  channelMapping: ChannelMapping;
  startCallProcessingEvent: StartCallProcessingDetail | null;
  /** Why the call ended (`bye`, `media-timeout`, `session-expired`, `dialog-lost`, `owner-lost`, `shutdown`, ...). */
  endReason: string | null;
  /** Node that holds the call's media; control events are routed there. */
  ownerNodeId: string;
  /**
   * Set when another node ends the call because its owner was lost: that node's claim on the
   * end (compare-and-set), so of several nodes only one publishes the closing events.
   */
  recoveredByNodeId?: string;
  siprec: CallSiprecInfo | null;
  /** Sum of processing periods already closed, so offsets continue across pause/resume. */
  processedMsBeforePause: number;
  /** Set when the fallback engine took over the call's transcription (`engineFallback`). */
  engineFailover?: EngineFailover | null;
  /**
   * Who set fromNumber/toNumber when it was not the recording INVITE: a later SIPREC metadata
   * update only fills a number that is empty and that neither the hook nor a control event set.
   * Absent in records written before this was kept.
   */
  numbersSetBy?: Partial<Record<PartyNumberField, PartyNumberSource>>;
  /**
   * Channels the SRC has on hold now (SDP `a=inactive`, or RFC 2543's `c=IN IP4 0.0.0.0`);
   * empty once resumed. Absent until a call was first held.
   */
  heldChannels?: Channel[];
}

export type PartyNumberField = 'fromNumber' | 'toNumber';

export type PartyNumberSource = 'hook' | 'control-event' | 'metadata-update';

/** The node responsible for the call now: its owner, or the node that took over its end. */
export function holderOf(call: CallData): string {
  return call.recoveredByNodeId ?? call.ownerNodeId;
}
