import type { CallSiprecInfo, Channel, ChannelMapping } from '../domain/call.js';
import type { Admission } from '../domain/admission.js';
import type { AudioFrame } from '../media/audio-frame.js';
import type { RecordedEnd } from '../domain/recorded-leg.js';

/**
 * The driving port the SIP/RTP edge uses to hand calls to the core. The edge answers the
 * INVITE whatever the core decides (so the SBC never retries); the core decides whether audio
 * is wanted at all.
 */
export interface NewSession {
  /** The id chosen per `callIdSource` (Call-ID by default); the hook may rename it. */
  callId: string;
  direction: 'Inbound' | 'Outbound';
  fromNumber: string;
  toNumber: string;
  /** Lower-case header name → value, as LCA's `inviteHeaders`. */
  inviteHeaders: Record<string, string>;
  /** The raw rs-metadata XML, passed to the hook untouched. */
  siprecMetadataXml: string | null;
  streams: { label: string; role: Channel | null }[];
  channelMapping: ChannelMapping;
  siprec: CallSiprecInfo | null;
  sourceAddress: string;
  /**
   * The highest rate the negotiated codecs deliver (16000 when any is wideband, else 8000):
   * the rate a recording of this call is written at.
   */
  audioSampleRateHz: number;
  /**
   * Set when the dialog carries one end of a call whose other end comes in its own dialog
   * (Cisco Unified CM Built-in-Bridge): the core pairs the two into one call. The session then
   * describes its one stream; `streams`, `channelMapping` and the numbers of the paired call
   * come from here.
   */
  recordedLeg?: RecordedLeg;
}

/** One party of a forked call as the recording source names it. */
export interface RecordedParty {
  /** The party's number (directory number); '' when not given. */
  number: string;
  /** The party's device name; '' when not given. */
  device: string;
}

export interface RecordedLeg {
  /** Equal for both dialogs of one recorded call, and for no other call. */
  pairKey: string;
  /** Which voice this dialog carries. */
  end: RecordedEnd;
  nearEnd: RecordedParty;
  farEnd: RecordedParty;
}

/** LCA's CustomerPhoneNumber (fromNumber) and SystemPhoneNumber (toNumber); '' when unknown. */
export interface PartyNumbers {
  fromNumber: string;
  toNumber: string;
}

export type SessionDecision =
  { accepted: true; handle: LiveCallHandle } | { accepted: false; code: string; reason: string };

/**
 * Audio frames are mono PCM16 at the rate they carry (8 kHz narrowband, 16 kHz wideband), in RTP
 * order, lost packets already concealed. One stream's frames keep one rate until a re-INVITE
 * changes its codecs.
 */
export interface LiveCallHandle {
  readonly callId: string;
  /** False while PENDING or PAUSED: the edge then drops packets without decoding them. */
  wantsAudio(): boolean;
  /** Milliseconds of audio to keep from before START (0 = none). */
  readonly preRollMs: number;
  /** Which channel a stream label carries, after the hook's possible swap; null = not recorded. */
  channelForLabel(label: string): Channel | null;
  audio(channel: Channel, frame: AudioFrame): void;
  /** Audio from just before START, oldest first, replayed once when processing begins. */
  preRoll(channel: Channel, frame: AudioFrame): void;
  /**
   * New metadata from a re-INVITE, UPDATE, INFO or BYE body, with the caller's and agent's
   * numbers as the edge maps its participants (empty when unknown). The core keeps the metadata
   * and fills only numbers that are still unknown.
   */
  metadataUpdated(siprec: CallSiprecInfo, parties: PartyNumbers): void;
  /**
   * The SRC put these channels on hold, or resumed them (an empty list): every stream carrying
   * a channel is `a=inactive` or has RFC 2543's `c=IN IP4 0.0.0.0`. Called on changes only.
   */
  holdChanged(heldChannels: readonly Channel[]): void;
  /**
   * The SBC was sent the 200 OK: the call now exists on both sides. Nothing about the call is
   * published (START, state events) before this, so a set-up the SBC abandons (CANCEL, or its
   * INVITE transaction timing out) leaves no START behind: the edge calls `end` instead.
   * Resolves once what the answer let go (START, the first state event) is stored.
   */
  answered(): Promise<void>;
  /** BYE, CANCEL, media timeout, or shutdown. Idempotent. */
  end(reason: string): Promise<void>;
}

export interface CallSessions {
  /**
   * `abandoned` aborts when the SBC will not take the call any more (CANCEL, or its INVITE
   * transaction timed out): the core then stores nothing further and refuses.
   */
  sessionStarted(
    session: NewSession,
    options?: { abandoned?: AbortSignal },
  ): Promise<SessionDecision>;
  /** Whether a new call may be taken now (call, lag and CPU limits); asked before any work. */
  admission(): Admission;
}
