import { writeFileSync } from 'node:fs';

/** A datagram and when it is sent, in ms from the first one. */
export interface TimedPacket {
  atMs: number;
  data: Buffer;
}

const ETHERNET_BYTES = 14;
const IPV4_BYTES = 20;
const UDP_BYTES = 8;

function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * A classic libpcap file (Ethernet, IPv4, UDP) of RTP datagrams, as a capture of an SBC's media
 * would be: what sipp's play_pcap_audio replays with the captured timing.
 */
export function writeRtpPcap(
  path: string,
  packets: readonly TimedPacket[],
  ends: { srcPort: number; dstPort: number; srcIp?: string; dstIp?: string } = {
    srcPort: 6000,
    dstPort: 7000,
  },
): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65_535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const ip = (text: string) => Buffer.from(text.split('.').map(Number));
  const src = ip(ends.srcIp ?? '127.0.0.1');
  const dst = ip(ends.dstIp ?? '127.0.0.1');
  const records = packets.map((packet, index) => {
    const frameBytes = ETHERNET_BYTES + IPV4_BYTES + UDP_BYTES + packet.data.length;
    const record = Buffer.alloc(16 + frameBytes);
    const atUs = Math.round(packet.atMs * 1000);
    record.writeUInt32LE(Math.floor(atUs / 1e6), 0);
    record.writeUInt32LE(atUs % 1e6, 4);
    record.writeUInt32LE(frameBytes, 8);
    record.writeUInt32LE(frameBytes, 12);
    const frame = record.subarray(16);
    frame.writeUInt16BE(0x0800, 12); // IPv4; MAC addresses left zero
    const ipHeader = frame.subarray(ETHERNET_BYTES, ETHERNET_BYTES + IPV4_BYTES);
    ipHeader[0] = 0x45;
    ipHeader.writeUInt16BE(IPV4_BYTES + UDP_BYTES + packet.data.length, 2);
    ipHeader.writeUInt16BE(index & 0xffff, 4);
    ipHeader[8] = 64;
    ipHeader[9] = 17; // UDP
    src.copy(ipHeader, 12);
    dst.copy(ipHeader, 16);
    ipHeader.writeUInt16BE(ipv4Checksum(ipHeader), 10);
    const udp = frame.subarray(ETHERNET_BYTES + IPV4_BYTES);
    udp.writeUInt16BE(ends.srcPort, 0);
    udp.writeUInt16BE(ends.dstPort, 2);
    udp.writeUInt16BE(UDP_BYTES + packet.data.length, 4);
    packet.data.copy(udp, UDP_BYTES);
    return record;
  });
  writeFileSync(path, Buffer.concat([header, ...records]));
}
