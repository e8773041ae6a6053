import { buildRtpPacket } from '../../src/adapters/rtp/rtp-packet.js';
import type { SrtpSession } from '../../src/adapters/srtp/srtp-library.js';

/**
 * `count` consecutive 20 ms PCMU packets of one stream (sequence numbers and timestamps advance,
 * the audio loops), protected with libsrtp's srtp_protect when an outbound session is given:
 * built before a measurement so that the sender's own crypto is not part of it.
 */
export function protectedPackets(options: {
  audio: Uint8Array;
  count: number;
  ssrc: number;
  firstSequenceNumber: number;
  session: SrtpSession | null;
}): Buffer[] {
  const { audio, session } = options;
  const packets: Buffer[] = [];
  for (let i = 0; i < options.count; i++) {
    const at = (i * 160) % (audio.length - 160);
    const rtp = buildRtpPacket({
      payloadType: 0,
      sequenceNumber: (options.firstSequenceNumber + i) & 0xffff,
      timestamp: (i * 160) >>> 0,
      ssrc: options.ssrc,
      marker: i === 0,
      payload: audio.subarray(at, at + 160),
    });
    if (session === null) {
      packets.push(rtp);
      continue;
    }
    const out = Buffer.alloc(rtp.length + 64);
    rtp.copy(out);
    const length = session.process(out, rtp.length);
    if (typeof length !== 'number') throw new Error(`protect: ${length}`);
    packets.push(out.subarray(0, length));
  }
  return packets;
}
