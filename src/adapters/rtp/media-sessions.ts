import type { CodecPolicy } from '../../media/codec-policy.js';
import type { StreamPayload } from '../../media/stream-payload.js';
import type { LiveCallHandle } from '../../ports/call-sessions.js';
import type { SrtpKeying } from '../srtp/srtp-suites.js';
import type { SrtpSupport } from '../srtp/srtp-support.js';

export type { StreamPayload };

/**
 * The contract between the SIP dialog layer and the RTP layer. SIP allocates ports before it
 * answers, then attaches the call's handle once the core has accepted the session.
 */
export interface AcceptedStream {
  /** Index of the m-line in the offer. */
  index: number;
  /** `a=label` of the m-line, or the index as a string when unlabelled. */
  label: string;
  /** Every accepted payload type, in the answer's order (preferred codec first). */
  payloads: StreamPayload[];
  /** Rate of every frame the stream hands on: the highest output rate of its codecs. */
  outputRateHz: number;
  /**
   * The SRC's SDES keying when the stream is SRTP: plain data, so the receive path builds its
   * own unprotector wherever it runs. A different keying in an update is a re-key.
   */
  srtp?: SrtpKeying;
  /**
   * For a stream the call did not start with (a conference adding a party): the label of the
   * call's own stream whose channel it is mixed into. Absent for the call's own streams.
   */
  mixInto?: string;
}

/** What the RTP layer needs of a call: whether it wants audio, and where the frames go. */
export type CallMediaSink = Pick<
  LiveCallHandle,
  'callId' | 'wantsAudio' | 'preRollMs' | 'channelForLabel' | 'audio' | 'preRoll'
>;

/**
 * Why the media layer gave a call up: no RTP within `mediaTimeoutMs`, or the media worker
 * holding its sockets died (its calls end; the worker is replaced for new calls).
 */
export type MediaLossReason = 'media-timeout' | 'media-worker-failed';

export interface MediaSession {
  /** Local RTP port per offered m-line index (even; RTCP on port+1 is tolerated and ignored). */
  readonly ports: readonly number[];
  /**
   * Binds sockets for `count` more m-lines (a re-offer appending streams), their ports appended
   * to `ports`; fails with RTP_PORTS_EXHAUSTED, or CALL_ENDED when the session closed meanwhile.
   */
  addStreams(count: number): Promise<void>;
  /** What the SDP answers of this session may accept (the same as its `MediaSessions`). */
  readonly codecs: CodecPolicy;
  /** What the SDP answers of this session may do about SRTP (the same as its `MediaSessions`). */
  readonly srtp?: SrtpSupport;
  attach(streams: AcceptedStream[], handle: CallMediaSink): void;
  /**
   * A re-INVITE or UPDATE answered: new payload types (codec change, transfer), streams added
   * (conference). `streams` is every stream the answer accepted: an m-line accepted before and
   * missing now was disabled (port 0), so its packets are dropped until an answer accepts it again.
   */
  update(streams: AcceptedStream[]): void;
  /** Hold (`a=inactive`) stops the media timeout for that stream; resume restarts it. */
  setInactive(index: number, inactive: boolean): void;
  /**
   * Called once when the call's media is gone: no RTP arrived on any active stream for
   * `mediaTimeoutMs`, or the media worker that held it died.
   */
  onMediaTimeout(listener: (reason: MediaLossReason) => void): void;
  stats(): MediaSessionStats;
  close(): Promise<void>;
}

export interface MediaSessionStats {
  packetsReceived: number;
  packetsDecoded: number;
  packetsDroppedWhileParked: number;
  /** Dropped by reason: `short`, `bad-version`, `unknown-payload-type`, `wrong-source`, `late`, ... */
  dropped: Record<string, number>;
  /** Packets decoded per codec name (`PCMU`, `G722`, ...). */
  decodedByCodec: Record<string, number>;
  /** RFC 4733 events and RFC 3389 comfort noise: recognised, carried no speech. */
  telephoneEventPackets: number;
  comfortNoisePackets: number;
}

export interface MediaSessions {
  /** The codecs this node decodes, in `sipCodecs` preference: what SDP answers may accept. */
  readonly codecs: CodecPolicy;
  /** `srtpPolicy`, and whether this node can unprotect SRTP (the SRTP library loaded); none when absent. */
  readonly srtp?: SrtpSupport;
  /** Binds sockets for `streamCount` m-lines; fails with RTP_PORTS_EXHAUSTED. */
  allocate(streamCount: number): Promise<MediaSession>;
  close(): Promise<void>;
}
