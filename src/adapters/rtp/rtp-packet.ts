/**
 * RTP fixed header (RFC 3550 §5.1). Parsing never throws: SBCs and scanners send garbage to
 * media ports, and a reason code is cheaper to count than an exception.
 */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: readonly number[];
  /** Profile-defined header extension (RFC 3550 §5.3.1), or null. */
  extension: { profile: number; data: Uint8Array } | null;
  /** Byte range of the payload inside the original buffer (padding already removed). */
  payloadOffset: number;
  payloadLength: number;
}

export type RtpParseFailure =
  'short' | 'bad-version' | 'bad-csrc-count' | 'bad-extension' | 'bad-padding';

export type RtpParseResult =
  { ok: true; packet: RtpPacket } | { ok: false; reason: RtpParseFailure };

export const RTP_FIXED_HEADER_BYTES = 12;

/** Shared by every packet without contributing sources (nearly all): no array per packet. */
const NO_CSRCS: readonly number[] = Object.freeze([]);

export function parseRtpPacket(buf: Uint8Array): RtpParseResult {
  if (buf.length < RTP_FIXED_HEADER_BYTES) return { ok: false, reason: 'short' };
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return { ok: false, reason: 'bad-version' };
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_BYTES + csrcCount * 4;
  if (offset > buf.length) return { ok: false, reason: 'bad-csrc-count' };
  let csrcs = NO_CSRCS;
  if (csrcCount > 0) {
    const read: number[] = [];
    for (let i = 0; i < csrcCount; i++) read.push(readUint32(buf, RTP_FIXED_HEADER_BYTES + i * 4));
    csrcs = read;
  }

  let extension: RtpPacket['extension'] = null;
  if (hasExtension) {
    if (offset + 4 > buf.length) return { ok: false, reason: 'bad-extension' };
    const profile = (buf[offset]! << 8) | buf[offset + 1]!;
    const lengthBytes = ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    const dataStart = offset + 4;
    if (dataStart + lengthBytes > buf.length) return { ok: false, reason: 'bad-extension' };
    extension = { profile, data: buf.subarray(dataStart, dataStart + lengthBytes) };
    offset = dataStart + lengthBytes;
  }

  let end = buf.length;
  if (hasPadding) {
    // The last octet counts itself, so 0 is invalid, and padding may not eat into the header.
    const paddingBytes = buf[buf.length - 1]!;
    if (paddingBytes === 0 || end - paddingBytes < offset)
      return { ok: false, reason: 'bad-padding' };
    end -= paddingBytes;
  }

  return {
    ok: true,
    packet: {
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: (buf[2]! << 8) | buf[3]!,
      timestamp: readUint32(buf, 4),
      ssrc: readUint32(buf, 8),
      csrcs,
      extension,
      payloadOffset: offset,
      payloadLength: end - offset,
    },
  };
}

function readUint32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** Serialises a minimal RTP header + payload; used by the SBC simulator and tests. */
export function buildRtpPacket(fields: {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Uint8Array;
}): Buffer {
  const packet = Buffer.allocUnsafe(RTP_FIXED_HEADER_BYTES + fields.payload.length);
  packet[0] = 0x80;
  packet[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  packet.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  packet.writeUInt32BE(fields.timestamp >>> 0, 4);
  packet.writeUInt32BE(fields.ssrc >>> 0, 8);
  packet.set(fields.payload, RTP_FIXED_HEADER_BYTES);
  return packet;
}
