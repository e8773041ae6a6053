/**
 * The SBC side of bench/srtp, in its own process so its CPU is not the receiver's: builds every
 * packet beforehand (G.711 from the sample call, protected with libsrtp's srtp_protect when a
 * suite is given), then sends one packet per stream every 20 ms.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { loadLibsrtp } from '../../src/adapters/srtp/libsrtp.js';
import type { SrtpSuiteName } from '../../src/adapters/srtp/srtp-suites.js';
import { protectedPackets } from './protected-packets.js';

export interface SenderJob {
  ports: number[];
  /** Per port, the key the receiver expects (base64), or none for plain RTP. */
  suite: SrtpSuiteName | null;
  keys: string[];
  packetsPerStream: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as SenderJob;
const audio = readFileSync(new URL('../../samples/support-call/caller.pcmu', import.meta.url));
const loaded = loadLibsrtp();
if (job.suite !== null && !loaded.ok) throw new Error(loaded.reason);

const streams = job.ports.map((port, s) => {
  const session =
    job.suite === null || !loaded.ok
      ? null
      : loaded.library.outbound({
          suite: job.suite,
          keyAndSalt: new Uint8Array(Buffer.from(job.keys[s] ?? '', 'base64')),
        });
  const packets = protectedPackets({
    audio,
    count: job.packetsPerStream,
    ssrc: 0x1000 + s,
    firstSequenceNumber: 1000,
    session,
  });
  session?.close();
  return { port, packets };
});

const socket = createSocket('udp4');
socket.bind(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready' });
});
process.on('message', (m: { type: string }) => {
  if (m.type !== 'go') return;
  let tick = 0;
  const started = performance.now();
  const step = (): void => {
    for (const stream of streams) socket.send(stream.packets[tick]!, stream.port, '127.0.0.1');
    tick++;
    if (tick >= job.packetsPerStream) {
      setTimeout(() => {
        process.send?.({ type: 'done', sent: tick * streams.length });
        socket.close();
      }, 200);
      return;
    }
    setTimeout(step, Math.max(0, started + tick * 20 - performance.now()));
  };
  step();
});
