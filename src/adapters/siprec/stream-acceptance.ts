import { parse } from 'sdp-transform';
import { builtInCodecPolicy, type CodecPolicy } from '../../media/codec-policy.js';
import { signallingPayloadFor } from '../../media/codecs.js';
import type { StreamPayload } from '../../media/stream-payload.js';
import { isSilentStream, type OfferedStream, type SiprecOffer } from './siprec-offer.js';

import type { OfferedCryptoLine } from '../srtp/sdes-crypto.js';
import { NO_SRTP, type SrtpSupport } from '../srtp/srtp-support.js';
import { isPlainRtp, isSdesSrtp, streamProtection } from './stream-protection.js';

export { isPlainRtp };

/**
 * The payload types to accept on one offered m-line: every offered codec the policy allows and
 * the registry can decode, in preference order (offer order among equals), then telephone-event
 * at the clock of an accepted codec, then offered comfort noise (recognised, not answered).
 * Empty when the m-line cannot carry recordable audio.
 */
export function acceptablePayloads(
  stream: OfferedStream,
  protocol: string,
  policy: CodecPolicy,
): StreamPayload[] {
  if (stream.mediaType !== 'audio' || stream.port === 0) return [];
  // Whether an SRTP line is answered is the protection's call (srtpPolicy, a usable a=crypto).
  if (!isPlainRtp(protocol) && !isSdesSrtp(protocol)) return [];
  const audio: { payload: StreamPayload; rank: number }[] = [];
  for (const offered of stream.codecs) {
    const decoder = policy.registry.find(offered.name, offered.clockRateHz);
    const rank = decoder === undefined ? -1 : policy.preference.indexOf(decoder.codec.name);
    if (decoder === undefined || rank < 0) continue;
    if (audio.some((a) => a.payload.payloadType === offered.payloadType)) continue;
    audio.push({ payload: { payloadType: offered.payloadType, kind: 'audio', decoder }, rank });
  }
  if (audio.length === 0) return [];
  audio.sort((a, b) => a.rank - b.rank);
  const clocks = new Set(
    audio.map((a) => (a.payload.kind === 'audio' ? a.payload.decoder.codec.rtpClockRateHz : 0)),
  );
  const signalling: StreamPayload[] = [];
  for (const offered of stream.codecs) {
    const kind = signallingPayloadFor(offered.name);
    if (kind === null) continue;
    if (kind === 'telephone-event' && !clocks.has(offered.clockRateHz)) continue;
    signalling.push({ payloadType: offered.payloadType, kind });
  }
  return [...audio.map((a) => a.payload), ...signalling];
}

/** The highest output rate among a stream's audio payloads (8000 when it has none). */
export function streamOutputRateHz(payloads: readonly StreamPayload[]): number {
  let rate = 8000;
  for (const p of payloads)
    if (p.kind === 'audio') rate = Math.max(rate, p.decoder.codec.outputRateHz);
  return rate;
}

/** Each m-line's transport protocol (RTP/AVP when unreadable) and `a=crypto` lines, by index. */
export function offerMedia(
  offer: SiprecOffer,
): { protocol: string; crypto: OfferedCryptoLine[] }[] {
  try {
    const media = parse(offer.sdp).media;
    return Array.isArray(media)
      ? media.map((m) => ({
          protocol: String(m.protocol ?? 'RTP/AVP'),
          crypto: Array.isArray(m.crypto) ? m.crypto : [],
        }))
      : [];
  } catch {
    return [];
  }
}

/**
 * The m-lines the answer will accept, active ones first (Oracle offers two extra `a=inactive`
 * lines that carry nothing until a transfer), each group in m-line order.
 */
export function recordableStreams(
  offer: SiprecOffer,
  policy: CodecPolicy = builtInCodecPolicy,
  srtp: SrtpSupport = NO_SRTP,
): OfferedStream[] {
  const media = offerMedia(offer);
  const usable = offer.streams.filter((s) => {
    const m = media[s.index] ?? { protocol: 'RTP/AVP', crypto: [] };
    if (acceptablePayloads(s, m.protocol, policy).length === 0) return false;
    const protection = streamProtection(m.protocol, m.crypto, srtp).kind;
    return protection === 'rtp' || protection === 'srtp';
  });
  const active = usable.filter((s) => !isSilentStream(s));
  const idle = usable.filter((s) => isSilentStream(s));
  return [...active, ...idle];
}
