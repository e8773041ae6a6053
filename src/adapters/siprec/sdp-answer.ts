import { parse, type MediaDescription } from 'sdp-transform';
import { writeSdpSession } from './sdp-session.js';
import { AppError } from '../../domain/errors.js';
import type { StreamPayload } from '../../media/stream-payload.js';
import { isSilentStream, type SiprecOffer } from './siprec-offer.js';
import { builtInCodecPolicy, type CodecPolicy } from '../../media/codec-policy.js';
import { acceptablePayloads, streamOutputRateHz } from './stream-acceptance.js';
import { answerCryptoLine, freshKeying } from '../srtp/sdes-crypto.js';
import type { SrtpKeying } from '../srtp/srtp-suites.js';
import { NO_SRTP, supportedSuitesText, type SrtpSupport } from '../srtp/srtp-support.js';
import { streamProtection, type ProtectionRefusal } from './stream-protection.js';

/** Our side's `a=crypto` of one stream: kept across re-INVITEs while the suite stays the same. */
export interface AnswerKey {
  tag: number;
  keying: SrtpKeying;
}

export interface AnsweredStream {
  index: number;
  label: string;
  /** Accepted payload types: audio in preference order, then telephone-event and comfort noise. */
  payloads: StreamPayload[];
  /** Rate every frame of this stream is delivered at: the highest of its codecs' output rates. */
  outputRateHz: number;
  port: number;
  /** The SRC's SRTP keying for this stream (what packets are unprotected with); absent for RTP. */
  srtp?: SrtpKeying;
  /** Our own `a=crypto` in the answer, to answer the same in the next re-INVITE. */
  answerKey?: AnswerKey;
}

export interface SdpAnswerOptions {
  /** Address for o= and c= (IPv4 or IPv6). */
  address: string;
  /** Local RTP port per m-line index of the offer. */
  ports: readonly number[];
  sessionId: string;
  sessionVersion: number;
  /** m-line indexes to answer `a=inactive` (recording paused on our side). */
  heldIndexes?: ReadonlySet<number>;
  /** Decodable codecs and `sipCodecs` preference; G.711 only when absent. */
  codecs?: CodecPolicy;
  /** `srtpPolicy` and whether the SRTP library loaded; SRTP lines are declined when absent. */
  srtp?: SrtpSupport;
  /** Our `a=crypto` per m-line index from the previous answer of the dialog. */
  answerKeys?: ReadonlyMap<number, AnswerKey>;
}

/**
 * The SRS answer (RFC 7866 §8.1): every offered m-line in order; audio lines offering a codec
 * callscribe can decode are accepted `a=recvonly` (or `a=inactive` when the offer holds them, by
 * direction or by RFC 2543's `c=IN IP4 0.0.0.0`, or callscribe pauses them) listing every such
 * codec in `sipCodecs` order plus telephone-event, with the offer's own rtpmap and fmtp lines,
 * and echo `a=label`, which OpenSIPS needs to match streams;
 * everything else is declined with port 0. Listing every decodable codec lets the SRC switch
 * codecs mid-call without asking. Plain application/sdp with CRLF line endings: multipart
 * answers break drachtio/jambonz SRCs.
 */
export function buildSdpAnswer(
  offer: SiprecOffer,
  options: SdpAnswerOptions,
): { sdp: string; accepted: AnsweredStream[] } {
  const policy = options.codecs ?? builtInCodecPolicy;
  const offered = parse(offer.sdp);
  const offeredMedia = Array.isArray(offered.media) ? offered.media : [];
  const srtp = options.srtp ?? NO_SRTP;
  const accepted: AnsweredStream[] = [];
  const media = offer.streams.map((stream): MediaDescription => {
    const original = offeredMedia[stream.index];
    const protocol = String(original?.protocol ?? 'RTP/AVP');
    let payloads = acceptablePayloads(stream, protocol, policy);
    const protection =
      payloads.length === 0
        ? ({ kind: 'declined' } as const)
        : streamProtection(protocol, original?.crypto ?? [], srtp);
    if (protection.kind === 'refused') throw protectionError(protection.reason, policy, srtp);
    if (protection.kind === 'declined') payloads = [];
    if (payloads.length === 0) {
      const firstFormat = stream.codecs[0]?.payloadType ?? firstToken(original?.payloads);
      return {
        type: stream.mediaType,
        port: 0,
        protocol,
        payloads: String(firstFormat),
        rtp: [],
        fmtp: [],
      };
    }
    const port = options.ports[stream.index];
    if (port === undefined) {
      throw new AppError('RTP_PORTS_EXHAUSTED', `no local RTP port for m-line ${stream.index}`);
    }
    // Comfort noise is recognised when it arrives but not invited: the answer lists speech and DTMF.
    const listed = payloads.filter((p) => p.kind !== 'comfort-noise');
    const rtp = listed.map((p) => rtpmapFor(p, original?.rtp ?? []));
    const fmtp = (original?.fmtp ?? []).filter((f) =>
      listed.some((p) => p.payloadType === Number(f.payload)),
    );
    const inactive = isSilentStream(stream) || options.heldIndexes?.has(stream.index) === true;
    const answered: AnsweredStream = {
      index: stream.index,
      label: stream.label,
      payloads,
      outputRateHz: streamOutputRateHz(payloads),
      port,
    };
    if (protection.kind === 'srtp') {
      const previous = options.answerKeys?.get(stream.index);
      const suite = protection.crypto.keying.suite;
      answered.srtp = protection.crypto.keying;
      // A fresh key per stream, kept while the suite and tag stay (an unchanged re-offer gets
      // an unchanged answer, RFC 3264 §8).
      answered.answerKey =
        previous !== undefined &&
        previous.keying.suite === suite &&
        previous.tag === protection.crypto.tag
          ? previous
          : { tag: protection.crypto.tag, keying: freshKeying(suite) };
    }
    accepted.push(answered);
    const answer: MediaDescription = {
      type: stream.mediaType,
      port,
      protocol,
      payloads: rtp.map((r) => r.payload).join(' '),
      rtp,
      fmtp: fmtp.map((f) => ({ payload: Number(f.payload), config: String(f.config) })),
      direction: inactive ? 'inactive' : 'recvonly',
    };
    // Echo only a label the SRC actually sent; an invented one would name a stream it never offered.
    if (original?.label !== undefined) answer.label = String(original.label);
    if (answered.answerKey !== undefined)
      answer.crypto = [answerCryptoLine(answered.answerKey.tag, answered.answerKey.keying)];
    return answer;
  });
  if (accepted.length === 0) {
    throw new AppError(
      'SDP_NO_ACCEPTABLE_CODEC',
      'no audio m-line offers a codec callscribe decodes',
      {
        details: { status: 488, accepts: acceptedCodecsText(policy, srtp) },
      },
    );
  }
  return { sdp: writeSdpSession(options, media), accepted };
}

function firstToken(payloads: unknown): string {
  return (
    String(payloads ?? '0')
      .trim()
      .split(/\s+/)[0] ?? '0'
  );
}

type RtpMap = MediaDescription['rtp'][number];

/** The offer's own rtpmap for a payload type, or the codec's standard one for a bare static type. */
function rtpmapFor(payload: StreamPayload, offered: readonly RtpMap[]): RtpMap {
  const own = offered.find((r) => Number(r.payload) === payload.payloadType);
  if (own !== undefined) {
    const entry: RtpMap = {
      payload: payload.payloadType,
      codec: String(own.codec),
      rate: Number(own.rate),
    };
    if (own.encoding !== undefined) entry.encoding = Number(own.encoding);
    return entry;
  }
  if (payload.kind !== 'audio')
    return { payload: payload.payloadType, codec: 'telephone-event', rate: 8000 };
  const codec = payload.decoder.codec;
  const entry: RtpMap = {
    payload: payload.payloadType,
    codec: codec.encodingName,
    rate: codec.rtpClockRateHz,
  };
  if (codec.rtpChannels > 1) entry.encoding = codec.rtpChannels;
  return entry;
}

/** For the 488's Warning: what an offer must contain to be accepted. */
export function acceptedCodecsText(policy: CodecPolicy, srtp: SrtpSupport = NO_SRTP): string {
  const names = policy.preference
    .map((name) => policy.registry.get(name)?.codec)
    .filter((codec) => codec !== undefined)
    .map(
      (codec) =>
        `${codec.encodingName}/${codec.rtpClockRateHz}${codec.rtpChannels > 1 ? `/${codec.rtpChannels}` : ''}`,
    );
  return `${names.join(', ')} (plus telephone-event) over ${profilesText(srtp)}`;
}

function profilesText(srtp: SrtpSupport): string {
  const savp = `RTP/SAVP or RTP/SAVPF with a=crypto ${supportedSuitesText()}`;
  if (srtp.policy === 'off' || !srtp.available) return 'RTP/AVP or RTP/AVPF';
  if (srtp.policy === 'required') return savp;
  return `RTP/AVP, RTP/AVPF, ${savp}`;
}

/** A 488 whose Warning says what the SBC must change. */
function protectionError(
  reason: ProtectionRefusal,
  policy: CodecPolicy,
  srtp: SrtpSupport,
): AppError {
  const warning =
    reason === 'srtp-required'
      ? `SRTP required; callscribe accepts ${acceptedCodecsText(policy, srtp)}`
      : reason === 'srtp-unavailable'
        ? `SRTP unavailable on this recorder (${srtp.aptPackage ?? 'SRTP library'} not installed); offer RTP/AVP`
        : `No supported SRTP crypto suite; callscribe supports ${supportedSuitesText()} (one inline key, no MKI)`;
  return new AppError('SDP_NO_ACCEPTABLE_CODEC', warning, {
    details: { status: 488, warning, srtp: reason },
  });
}
