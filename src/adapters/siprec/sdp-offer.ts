import type { MediaDescription } from 'sdp-transform';
import { writeSdpSession } from './sdp-session.js';
import type { CodecPolicy } from '../../media/codec-policy.js';
import { answerCryptoLine, freshKeying } from '../srtp/sdes-crypto.js';
import { SRTP_SUITE_NAMES } from '../srtp/srtp-suites.js';
import type { SrtpSupport } from '../srtp/srtp-support.js';

export interface OfferedLine {
  /** Local RTP port; 0 declines the m-line (kept so a re-offer has as many lines as before). */
  port: number;
  /** `a=label` to send, or null for none. */
  label: string | null;
  /** The media type of a declined line (`audio` for every line we record). */
  mediaType?: string;
}

export interface SdpOfferOptions {
  address: string;
  lines: readonly OfferedLine[];
  sessionId: string;
  sessionVersion: number;
  codecs: CodecPolicy;
  /** Under `srtpPolicy: required` the offer is RTP/SAVP with an `a=crypto` per supported suite. */
  srtp?: SrtpSupport;
}

/** Dynamic payload types start here (RFC 3551 §6); 101 is the customary telephone-event/8000. */
const FIRST_DYNAMIC_PAYLOAD_TYPE = 96;
const TELEPHONE_EVENT_8K = 101;

/**
 * callscribe's own offer, for an INVITE or re-INVITE that came without one (delayed offer,
 * RFC 3261 §13.2.1): each recorded m-line `a=recvonly`, listing every codec this node decodes
 * in `sipCodecs` order (static payload types where RFC 3551 has one) and telephone-event at each
 * of their clock rates. The SRC's answer, in the ACK, picks what it will send.
 */
export function buildSdpOffer(options: SdpOfferOptions): string {
  const rtp: MediaDescription['rtp'] = [];
  const fmtp: MediaDescription['fmtp'] = [];
  let nextDynamic = FIRST_DYNAMIC_PAYLOAD_TYPE;
  const dynamic = (): number => {
    if (nextDynamic === TELEPHONE_EVENT_8K) nextDynamic += 1;
    return nextDynamic++;
  };
  const clocks: number[] = [];
  for (const name of options.codecs.preference) {
    const codec = options.codecs.registry.get(name)?.codec;
    if (codec === undefined) continue;
    const entry: MediaDescription['rtp'][number] = {
      payload: codec.staticPayloadType ?? dynamic(),
      codec: codec.encodingName,
      rate: codec.rtpClockRateHz,
    };
    if (codec.rtpChannels > 1) entry.encoding = codec.rtpChannels;
    rtp.push(entry);
    if (!clocks.includes(codec.rtpClockRateHz)) clocks.push(codec.rtpClockRateHz);
  }
  for (const clockHz of clocks) {
    const payload = clockHz === 8000 ? TELEPHONE_EVENT_8K : dynamic();
    rtp.push({ payload, codec: 'telephone-event', rate: clockHz });
    fmtp.push({ payload, config: '0-16' });
  }
  const srtp = options.srtp?.policy === 'required' && options.srtp.available;
  const protocol = srtp ? 'RTP/SAVP' : 'RTP/AVP';
  const media = options.lines.map((line): MediaDescription => {
    if (line.port === 0) {
      return {
        type: line.mediaType ?? 'audio',
        port: 0,
        protocol,
        payloads: String(rtp[0]?.payload ?? 0),
        rtp: [],
        fmtp: [],
      };
    }
    const description: MediaDescription = {
      type: 'audio',
      port: line.port,
      protocol,
      payloads: rtp.map((r) => r.payload).join(' '),
      rtp: rtp.map((r) => ({ ...r })),
      fmtp: fmtp.map((f) => ({ ...f })),
      direction: 'recvonly',
    };
    if (line.label !== null) description.label = line.label;
    // Our keys are never used (callscribe sends no media); the SRC's answer carries the one
    // its packets are protected with, and its suite (RFC 4568 §5.1.2).
    if (srtp)
      description.crypto = SRTP_SUITE_NAMES.map((suite, i) =>
        answerCryptoLine(i + 1, freshKeying(suite)),
      );
    return description;
  });
  return writeSdpSession(options, media);
}
