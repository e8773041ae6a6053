#!/usr/bin/env node
// Replays the UDP payloads of a pcap (Ethernet/IPv4) to HOST PORT with the captured timing, for
// the second SIPREC m-line (sipp's play_pcap_audio feeds only the first).
// Usage: replay-pcap.mjs HOST PORT FILE
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [host, port, file] = process.argv.slice(2);
if (!host || !port || !file) {
  console.error('usage: replay-pcap.mjs HOST PORT FILE');
  process.exit(2);
}
const pcap = readFileSync(file);
if (pcap.readUInt32LE(0) !== 0xa1b2c3d4 || pcap.readUInt32LE(20) !== 1) {
  console.error('not a little-endian Ethernet pcap');
  process.exit(2);
}
const packets = [];
for (let at = 24; at + 16 <= pcap.length;) {
  const atMs = pcap.readUInt32LE(at) * 1000 + pcap.readUInt32LE(at + 4) / 1000;
  const length = pcap.readUInt32LE(at + 8);
  const frame = pcap.subarray(at + 16, at + 16 + length);
  const ipHeaderBytes = (frame[14] & 0x0f) * 4;
  packets.push({ atMs, data: frame.subarray(14 + ipHeaderBytes + 8) });
  at += 16 + length;
}
const socket = createSocket('udp4');
const firstMs = packets[0]?.atMs ?? 0;
const startedAt = performance.now();
let next = 0;
function tick() {
  const elapsed = performance.now() - startedAt;
  while (next < packets.length && packets[next].atMs - firstMs <= elapsed) {
    socket.send(packets[next].data, Number(port), host);
    next += 1;
  }
  if (next >= packets.length) {
    setTimeout(() => socket.close(), 50);
    return;
  }
  setTimeout(tick, 5);
}
tick();
