import type { LiveCallHandle } from '../../ports/call-sessions.js';

/**
 * The contract between the SIP dialog layer and the RTP layer. SIP allocates ports before it
 * answers, then attaches the call's handle once the core has accepted the session.
 */
export interface AcceptedStream {
  /** Index of the m-line in the offer. */
  index: number;
  /** `a=label` of the m-line, or the index as a string when unlabelled. */
  label: string;
  payloadType: number;
  codec: 'PCMU' | 'PCMA';
  /** Payload types to skip silently (telephone-event, comfort noise). */
  ignoredPayloadTypes: number[];
}

export interface MediaSession {
  /** Local RTP port per offered m-line index (even; RTCP on port+1 is tolerated and ignored). */
  readonly ports: readonly number[];
  attach(streams: AcceptedStream[], handle: LiveCallHandle): void;
  /** Hold (`a=inactive`) stops the media timeout for that stream; resume restarts it. */
  setInactive(index: number, inactive: boolean): void;
  /** Called once when no RTP arrived on any active stream for `mediaTimeoutMs`. */
  onMediaTimeout(listener: () => void): void;
  stats(): MediaSessionStats;
  close(): Promise<void>;
}

export interface MediaSessionStats {
  packetsReceived: number;
  packetsDecoded: number;
  packetsDroppedWhileParked: number;
  /** Dropped by reason: `short`, `bad-version`, `unknown-payload-type`, `wrong-source`, `late`, ... */
  dropped: Record<string, number>;
}

export interface MediaSessions {
  /** Binds sockets for `streamCount` m-lines; fails with RTP_PORTS_EXHAUSTED. */
  allocate(streamCount: number): Promise<MediaSession>;
  close(): Promise<void>;
}
