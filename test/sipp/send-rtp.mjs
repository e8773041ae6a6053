#!/usr/bin/env node
// Streams raw G.711 µ-law files as RTP (PT 0, 160 bytes / 20 ms), one file per destination
// port, so a sipp scenario can feed BOTH SIPREC m-lines (sipp's own rtp_stream only feeds the
// first). Usage: send-rtp.mjs HOST PORT1 FILE1 PORT2 FILE2 SECONDS [LOCAL_PORT [FIRST_FRAME]]
// A PORT of 0 leaves that stream silent (held). LOCAL_PORT keeps the source address of an SBC
// that resumes a stream, and FIRST_FRAME continues its sequence numbers, timestamps and audio.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [host, port1, file1, port2, file2, seconds, localPort, firstFrame] = process.argv.slice(2);
if (!host || !port1 || !file1 || !port2 || !file2 || !seconds) {
  console.error(
    'usage: send-rtp.mjs HOST PORT1 FILE1 PORT2 FILE2 SECONDS [LOCAL_PORT [FIRST_FRAME]]',
  );
  process.exit(2);
}
const first = Number(firstFrame ?? 0);
const FRAME_BYTES = 160;
const FRAME_MS = 20;
const frames = Math.floor((Number(seconds) * 1000) / FRAME_MS);
const streams = [
  { port: Number(port1), audio: readFileSync(file1), ssrc: 0x11110000, seq: 1000 },
  { port: Number(port2), audio: readFileSync(file2), ssrc: 0x22220000, seq: 2000 },
].filter((stream) => stream.port !== 0);
const socket = createSocket('udp4');
socket.on('error', (error) => {
  // sipp runs this in the background and ignores its exit: say why the audio is missing.
  console.error(`send-rtp: ${error.message}`);
  process.exit(1);
});
if (localPort) socket.bind(Number(localPort), host === '127.0.0.1' ? '127.0.0.1' : undefined);

function packet(stream, sent) {
  const index = sent + first;
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = sent === 0 ? 0x80 : 0x00; // marker on the first packet (of a talkspurt), PT 0 (PCMU)
  header.writeUInt16BE((stream.seq + index) & 0xffff, 2);
  header.writeUInt32BE((index * FRAME_BYTES) >>> 0, 4);
  header.writeUInt32BE(stream.ssrc, 8);
  const start = (index * FRAME_BYTES) % Math.max(FRAME_BYTES, stream.audio.length - FRAME_BYTES);
  return Buffer.concat([header, stream.audio.subarray(start, start + FRAME_BYTES)]);
}

const startedAt = performance.now();
let sent = 0;
function tick() {
  // Catch up on timer drift so the pacing stays at 20 ms per frame on average.
  const due = Math.min(frames, Math.floor((performance.now() - startedAt) / FRAME_MS) + 1);
  while (sent < due) {
    for (const stream of streams) socket.send(packet(stream, sent), stream.port, host);
    sent += 1;
  }
  if (sent >= frames) {
    setTimeout(() => socket.close(), 50);
    return;
  }
  setTimeout(tick, FRAME_MS / 2);
}
tick();
