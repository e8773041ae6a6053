import { parse } from 'sdp-transform';
import type { OfferedCodec, OfferedStream, SiprecOffer } from './siprec-offer.js';

export interface PcmChoice {
  payloadType: number;
  codec: 'PCMU' | 'PCMA';
}

/** Plain RTP profiles only: SRTP (RTP/SAVP, UDP/TLS/...) cannot be decoded here, so it is declined. */
const plainRtpProfiles: ReadonlySet<string> = new Set(['RTP/AVP', 'RTP/AVPF']);

/** The offer's first G.711 payload type on an audio m-line that can carry media, or null. */
export function choosePcmCodec(stream: OfferedStream, protocol: string): PcmChoice | null {
  if (stream.mediaType !== 'audio' || stream.port === 0) return null;
  if (!plainRtpProfiles.has(protocol.toUpperCase())) return null;
  for (const codec of stream.codecs) {
    if ((codec.name === 'PCMU' || codec.name === 'PCMA') && codec.clockRateHz === 8000) {
      return { payloadType: codec.payloadType, codec: codec.name };
    }
  }
  return null;
}

/** DTMF and comfort noise ride on the recorded stream but carry no speech. */
export function isIgnorablePayload(codec: OfferedCodec): boolean {
  return codec.name === 'TELEPHONE-EVENT' || codec.name === 'CN';
}

/**
 * The m-lines the answer will accept, active ones first (Oracle offers two extra `a=inactive`
 * lines that carry nothing until a transfer), each group in m-line order.
 */
export function recordableStreams(offer: SiprecOffer): OfferedStream[] {
  let protocols: string[];
  try {
    const media = parse(offer.sdp).media;
    protocols = Array.isArray(media) ? media.map((m) => String(m.protocol ?? 'RTP/AVP')) : [];
  } catch {
    protocols = [];
  }
  const usable = offer.streams.filter(
    (s) => choosePcmCodec(s, protocols[s.index] ?? 'RTP/AVP') !== null,
  );
  const active = usable.filter((s) => s.direction !== 'inactive' && s.direction !== 'recvonly');
  const idle = usable.filter((s) => s.direction === 'inactive' || s.direction === 'recvonly');
  return [...active, ...idle];
}
