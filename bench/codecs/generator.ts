import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { RtpPacer } from '../../src/sbc-sim/rtp-pacer.js';
import type { EncodedClipFile, GeneratorCount, GeneratorReport } from './protocol.js';

/**
 * The load: the SBC simulator's pacer sending 20 ms packets of one codec to every port it is
 * given (caller payloads to even-indexed ports, agent payloads to odd), each stream from its own
 * connected socket, in a process of its own.
 */
const clip = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as EncodedClipFile;
const channels = clip.channels.map((payloads) => payloads.map((b) => Buffer.from(b, 'base64')));
const pacer = new RtpPacer();
let sockets: Socket[] = [];

async function connectedSocket(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', () => resolve()));
  return socket;
}

process.on('message', (message: { type: string; ports?: number[] }) => {
  if (message.type === 'targets') {
    void Promise.all((message.ports ?? []).map(connectedSocket)).then((s) => {
      sockets = s;
      process.send?.({ type: 'ready' });
    });
  } else if (message.type === 'go') {
    sockets.forEach((socket, i) => {
      const phaseMs = (i * 20) / sockets.length;
      pacer.add({
        send: (packet) => socket.send(packet),
        audio: new Uint8Array(0),
        encoded: {
          payloadType: clip.payloadType,
          payloads: channels[i % 2] ?? [],
          ticksPerPacket: clip.ticksPerPacket,
        },
        loop: true,
        phaseMs,
      });
    });
  } else if (message.type === 'count') {
    const count: GeneratorCount = {
      type: 'count',
      packetsSent: pacer.packetsSent,
      packetsSkipped: pacer.packetsSkipped,
    };
    process.send?.(count);
  } else if (message.type === 'stop') {
    pacer.stop();
    const report: GeneratorReport = {
      type: 'report',
      packetsSent: pacer.packetsSent,
      packetsSkipped: pacer.packetsSkipped,
    };
    process.send?.(report);
    for (const socket of sockets) socket.close();
    setTimeout(() => process.exit(0), 50);
  }
});
