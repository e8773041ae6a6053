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

/**
 * The header fields the receive path reads, parsed into an object its owner keeps and reuses:
 * a result object (and a packet object) per datagram, at tens of thousands of datagrams a
 * second, is garbage the media workers would collect for nothing.
 */
export class RtpHeader {
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  csrcCount = 0;
  /** Offset of the header extension's data (its 4-byte header skipped), or -1 without one. */
  extensionOffset = -1;
  extensionProfile = 0;
  extensionLength = 0;
  /** Byte range of the payload inside the buffer (padding already removed). */
  payloadOffset = 0;
  payloadLength = 0;
}

/** Reads `buf`'s header into `into`; null when it is RTP, the reason otherwise (`into` is then stale). */
export function readRtpHeader(buf: Uint8Array, into: RtpHeader): RtpParseFailure | null {
  if (buf.length < RTP_FIXED_HEADER_BYTES) return 'short';
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  if (b0 >> 6 !== 2) return 'bad-version';
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_BYTES + csrcCount * 4;
  if (offset > buf.length) return 'bad-csrc-count';
  into.extensionOffset = -1;
  into.extensionProfile = 0;
  into.extensionLength = 0;
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > buf.length) return 'bad-extension';
    const lengthBytes = ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    const dataStart = offset + 4;
    if (dataStart + lengthBytes > buf.length) return 'bad-extension';
    into.extensionOffset = dataStart;
    into.extensionProfile = (buf[offset]! << 8) | buf[offset + 1]!;
    into.extensionLength = lengthBytes;
    offset = dataStart + lengthBytes;
  }
  let end = buf.length;
  if ((b0 & 0x20) !== 0) {
    // The last octet counts itself, so 0 is invalid, and padding may not eat into the header.
    const paddingBytes = buf[buf.length - 1]!;
    if (paddingBytes === 0 || end - paddingBytes < offset) return 'bad-padding';
    end -= paddingBytes;
  }
  into.marker = (b1 & 0x80) !== 0;
  into.payloadType = b1 & 0x7f;
  into.sequenceNumber = (buf[2]! << 8) | buf[3]!;
  into.timestamp = readUint32(buf, 4);
  into.ssrc = readUint32(buf, 8);
  into.csrcCount = csrcCount;
  into.payloadOffset = offset;
  into.payloadLength = end - offset;
  return null;
}

/** The whole packet as a value of its own (contributing sources and extension included). */
export function parseRtpPacket(buf: Uint8Array): RtpParseResult {
  const header = new RtpHeader();
  const failure = readRtpHeader(buf, header);
  if (failure !== null) return { ok: false, reason: failure };
  let csrcs = NO_CSRCS;
  if (header.csrcCount > 0) {
    const read: number[] = [];
    for (let i = 0; i < header.csrcCount; i++)
      read.push(readUint32(buf, RTP_FIXED_HEADER_BYTES + i * 4));
    csrcs = read;
  }
  const at = header.extensionOffset;
  return {
    ok: true,
    packet: {
      marker: header.marker,
      payloadType: header.payloadType,
      sequenceNumber: header.sequenceNumber,
      timestamp: header.timestamp,
      ssrc: header.ssrc,
      csrcs,
      extension:
        at < 0
          ? null
          : {
              profile: header.extensionProfile,
              data: buf.subarray(at, at + header.extensionLength),
            },
      payloadOffset: header.payloadOffset,
      payloadLength: header.payloadLength,
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
