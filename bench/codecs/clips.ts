import { writeFileSync } from 'node:fs';
import {
  encodeG711,
  encodeG722,
  encodeG729,
  encodeOpus,
  loadSource,
  payloadOf,
  type RtpClip,
} from '../../test/support/codec-clips.js';
import type { BenchCodec, EncodedClipFile } from './protocol.js';

/**
 * The benchmark's load: the whole wideband sample call, both channels, encoded by the same
 * outside encoders the tests use (sox, ffmpeg, bcg729's encoder without VAD, so every packet
 * carries speech frames: G.729's worst case).
 */
export async function encodeSampleCall(codec: BenchCodec): Promise<RtpClip[]> {
  const sources = [loadSource('caller', 0, 44.6), loadSource('agent', 0, 44.6)];
  return Promise.all(
    sources.map(async (source) => {
      switch (codec) {
        case 'PCMU':
          return encodeG711('PCMU', source.pcm8k);
        case 'G722':
          return encodeG722(source.pcm16k);
        case 'G729':
          return encodeG729(source.pcm8k);
        case 'opus':
          return encodeOpus(source.pcm16k);
      }
    }),
  );
}

export function writeClipFile(path: string, codec: BenchCodec, clips: RtpClip[]): void {
  const [caller, agent] = clips;
  if (!caller || !agent) throw new Error('two channels expected');
  const file: EncodedClipFile = {
    codec,
    payloadType: caller.payloadType,
    ticksPerPacket: (caller.clockRateHz * 20) / 1000,
    channels: [
      caller.packets.map((p) => payloadOf(p).toString('base64')),
      agent.packets.map((p) => payloadOf(p).toString('base64')),
    ],
  };
  writeFileSync(path, JSON.stringify(file));
}
