import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { AppError } from '../../domain/errors.js';
import type { SiprecOffer } from './siprec-offer.js';
import { choosePcmCodec, isIgnorablePayload } from './stream-acceptance.js';

export interface AnsweredStream {
  index: number;
  label: string;
  payloadType: number;
  codec: 'PCMU' | 'PCMA';
  /** Offered telephone-event and CN payload types, to be skipped by the RTP layer. */
  ignoredPayloadTypes: number[];
  port: number;
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
}

/**
 * The SRS answer (RFC 7866 §8.1): every offered m-line in order; audio lines with PCMU/PCMA
 * are accepted `a=recvonly` (or `a=inactive` when the offer or the caller holds them) and echo
 * `a=label`, which OpenSIPS needs to match streams; everything else is declined with port 0.
 * Plain application/sdp with CRLF line endings: multipart answers break drachtio/jambonz SRCs.
 */
export function buildSdpAnswer(
  offer: SiprecOffer,
  options: SdpAnswerOptions,
): { sdp: string; accepted: AnsweredStream[] } {
  const offered = parse(offer.sdp);
  const offeredMedia = Array.isArray(offered.media) ? offered.media : [];
  const ipVersion = options.address.includes(':') ? 6 : 4;
  const accepted: AnsweredStream[] = [];
  const media = offer.streams.map((stream): MediaDescription => {
    const original = offeredMedia[stream.index];
    const protocol = String(original?.protocol ?? 'RTP/AVP');
    const choice = choosePcmCodec(stream, protocol);
    if (choice === null) {
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
    const events = stream.codecs.filter(
      (c) => c.name === 'TELEPHONE-EVENT' && c.clockRateHz === 8000,
    );
    const rtp: MediaDescription['rtp'] = [
      { payload: choice.payloadType, codec: choice.codec, rate: 8000 },
      ...events.map((c) => ({ payload: c.payloadType, codec: 'telephone-event', rate: 8000 })),
    ];
    const fmtp = (original?.fmtp ?? []).filter((f) =>
      events.some((c) => c.payloadType === Number(f.payload)),
    );
    const inactive =
      stream.direction === 'inactive' ||
      stream.direction === 'recvonly' ||
      options.heldIndexes?.has(stream.index) === true;
    accepted.push({
      index: stream.index,
      label: stream.label,
      payloadType: choice.payloadType,
      codec: choice.codec,
      ignoredPayloadTypes: stream.codecs.filter(isIgnorablePayload).map((c) => c.payloadType),
      port,
    });
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
    return answer;
  });
  if (accepted.length === 0) {
    throw new AppError(
      'SDP_NO_ACCEPTABLE_CODEC',
      'no audio m-line offers PCMU or PCMA over RTP/AVP',
      {
        details: { status: 488 },
      },
    );
  }
  const description: SessionDescription = {
    version: 0,
    origin: {
      username: 'callscribe',
      sessionId: options.sessionId,
      sessionVersion: options.sessionVersion,
      netType: 'IN',
      ipVer: ipVersion,
      address: options.address,
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    connection: { version: ipVersion, ip: options.address },
    media,
  };
  return { sdp: write(description), accepted };
}

function firstToken(payloads: unknown): string {
  return (
    String(payloads ?? '0')
      .trim()
      .split(/\s+/)[0] ?? '0'
  );
}
