import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { AppError } from '../../domain/errors.js';
import { parseContentType } from './content-type.js';
import { splitMultipart } from './multipart.js';
import { parseRecordingMetadata, type RecordingMetadata } from './rs-metadata.js';
import { staticPayloadTypes } from './static-payload-types.js';

export type StreamDirection = 'sendonly' | 'sendrecv' | 'recvonly' | 'inactive';

export interface OfferedCodec {
  payloadType: number;
  /** Upper-case encoding name; empty for a dynamic payload type offered without an rtpmap. */
  name: string;
  /** 0 for a dynamic payload type offered without an rtpmap. */
  clockRateHz: number;
}

export interface OfferedStream {
  index: number;
  /** `a=label`, or the m-line index as a string when unlabelled. */
  label: string;
  mediaType: string;
  port: number;
  connectionAddress: string | null;
  /** The m-line's direction attribute, else the session-level one, else null. */
  direction: StreamDirection | null;
  codecs: OfferedCodec[];
}

export interface SiprecOffer {
  sdp: string;
  streams: OfferedStream[];
  metadataXml: string | null;
  metadata: RecordingMetadata | null;
  /** True for a multipart body with both an SDP and an rs-metadata part (RFC 7866 §6.1). */
  isSiprec: boolean;
}

const metadataTypes: ReadonlySet<string> = new Set([
  'application/rs-metadata+xml',
  'application/rs-metadata',
]);

/**
 * Reads an INVITE/re-INVITE body: multipart/mixed with SDP and rs-metadata in any order (extra
 * parts such as Cisco's application/gtd are ignored), or plain application/sdp. Errors carry
 * `details.status` (415 unsupported body, 400 unreadable SDP) for the SIP layer to answer with.
 */
export function parseSiprecOffer(contentTypeHeader: string, body: string): SiprecOffer {
  const { mediaType } = parseContentType(contentTypeHeader);
  let sdp: string;
  let metadataXml: string | null = null;
  let isSiprec = false;
  if (mediaType.startsWith('multipart/')) {
    const parts = splitMultipart(contentTypeHeader, body);
    const sdpPart = parts.find((part) => part.contentType === 'application/sdp');
    if (sdpPart === undefined) {
      throw new AppError('SIPREC_BODY_INVALID', 'multipart body has no application/sdp part', {
        details: { status: 415, partTypes: parts.map((part) => part.contentType) },
      });
    }
    sdp = sdpPart.body;
    const metadataPart = parts.find((part) => metadataTypes.has(part.contentType));
    if (metadataPart !== undefined) {
      metadataXml = metadataPart.body;
      isSiprec = true;
    }
  } else if (mediaType === 'application/sdp') {
    sdp = body;
  } else {
    throw new AppError('SIPREC_BODY_INVALID', 'unsupported body type', {
      details: { status: 415, contentType: mediaType },
    });
  }
  return {
    sdp,
    streams: offeredStreams(sdp),
    metadataXml,
    metadata: metadataXml === null ? null : parseRecordingMetadata(metadataXml),
    isSiprec,
  };
}

function offeredStreams(sdp: string): OfferedStream[] {
  let session: SessionDescription;
  try {
    session = parse(sdp);
  } catch (cause) {
    throw unreadable('SDP could not be parsed', cause);
  }
  const media = Array.isArray(session.media) ? session.media : [];
  if (media.length === 0) throw unreadable('SDP has no m-line');
  return media.map((m, index) => {
    const port = Number(m.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw unreadable(`m-line ${index} has no valid port`);
    return {
      index,
      label: m.label === undefined ? String(index) : String(m.label),
      mediaType: String(m.type),
      port,
      connectionAddress: m.connection?.ip ?? session.connection?.ip ?? null,
      direction: directionOf(m.direction) ?? directionOf(session.direction),
      codecs: codecsOf(m),
    };
  });
}

function codecsOf(m: MediaDescription): OfferedCodec[] {
  const payloadTypes = String(m.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((token) => /^\d{1,3}$/.test(token))
    .map(Number);
  return payloadTypes.map((payloadType) => {
    const rtpmap = (m.rtp ?? []).find((entry) => Number(entry.payload) === payloadType);
    if (rtpmap !== undefined) {
      return {
        payloadType,
        name: String(rtpmap.codec).toUpperCase(),
        clockRateHz: Number(rtpmap.rate ?? 0) || 0,
      };
    }
    const known = staticPayloadTypes.get(payloadType);
    return known === undefined
      ? { payloadType, name: '', clockRateHz: 0 }
      : { payloadType, ...known };
  });
}

/**
 * A stream the SRC is not sending on: `a=inactive`, `a=recvonly`, or the connection address
 * `0.0.0.0` by which RFC 2543 phones put a call on hold (`::` from IPv6 ones), whatever the
 * direction attribute says. Held streams are answered `a=inactive` and count as on hold.
 */
export function isSilentStream(
  stream: Pick<OfferedStream, 'direction' | 'connectionAddress'>,
): boolean {
  return (
    stream.direction === 'inactive' ||
    stream.direction === 'recvonly' ||
    stream.connectionAddress === '0.0.0.0' ||
    stream.connectionAddress === '::'
  );
}

function directionOf(value: unknown): StreamDirection | null {
  return value === 'sendonly' ||
    value === 'sendrecv' ||
    value === 'recvonly' ||
    value === 'inactive'
    ? value
    : null;
}

function unreadable(message: string, cause?: unknown): AppError {
  return new AppError('SIPREC_BODY_INVALID', message, { cause, details: { status: 400 } });
}
