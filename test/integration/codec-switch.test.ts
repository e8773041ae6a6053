import { describe, expect, it } from 'vitest';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import type { StreamPayload } from '../../src/media/stream-payload.js';
import {
  encodeG711,
  encodeG722,
  encodeG729,
  encodeOpus,
  joinClips,
  loadSource,
} from '../support/codec-clips.js';
import { concatPcm } from '../support/media.js';
import { bestAlignment } from '../support/signal.js';
import { tools } from '../support/tools.js';

const ready = [
  tools.ffmpeg(),
  tools.sox(),
  tools.libspandsp(),
  tools.libbcg729(),
  tools.libopus(),
].every((t) => t.available);

/**
 * A codec switch inside one RTP stream (same SSRC, no re-INVITE), as an SBC does when the call
 * it forks changes codec: every packet is decoded by its own payload type and the stream keeps
 * one output rate, with no gap and no overlap at the switches.
 */
describe.skipIf(!ready)('codec switch mid-stream', () => {
  it('PCMU → G.722 → Opus → G.729 comes out as one continuous 16 kHz stream', async () => {
    // The caller speaks from 5.14 s to 10.32 s: four 1.2 s segments, all of them speech.
    const segmentS = 1.2;
    const source = loadSource('caller', 5.3, 4 * segmentS);
    const slice16k = (i: number) =>
      source.pcm16k.subarray(i * segmentS * 16_000, (i + 1) * segmentS * 16_000);
    const slice8k = (i: number) =>
      source.pcm8k.subarray(i * segmentS * 8000, (i + 1) * segmentS * 8000);
    const clips = [
      encodeG711('PCMU', slice8k(0)),
      await encodeG722(slice16k(1)),
      await encodeOpus(slice16k(2)),
      encodeG729(slice8k(3)),
    ];
    const packets = joinClips(clips).map((p) => p.data);
    const factories = loadCodecs().factories;
    const byName = (name: string) => factories.find((f) => f.codec.name === name)!;
    const payloads: StreamPayload[] = [
      { payloadType: 0, kind: 'audio', decoder: byName('PCMU') },
      { payloadType: 9, kind: 'audio', decoder: byName('G722') },
      { payloadType: 111, kind: 'audio', decoder: byName('opus') },
      { payloadType: 18, kind: 'audio', decoder: byName('G729') },
    ];
    const drops = new DropCounter();
    const receiver = new RtpStreamReceiver({ drops });
    const frames: Int16Array[] = [];
    receiver.configure(
      { payloads: new Map(payloads.map((p) => [p.payloadType, p])), outputRateHz: 16_000 },
      (frame) => {
        expect(frame.sampleRateHz).toBe(16_000);
        frames.push(frame.pcm.slice());
      },
    );
    for (const packet of packets) receiver.push(packet);
    receiver.flush();
    const pcm = concatPcm(frames);
    expect(receiver.decodedByCodec).toEqual({
      PCMU: clips[0]!.packets.length,
      G722: clips[1]!.packets.length,
      opus: clips[2]!.packets.length,
      G729: clips[3]!.packets.length,
    });
    expect(receiver.packetsLost).toBe(0);
    // Continuous: exactly as long as the RTP timeline (20 ms per packet), no gap, no overlap.
    expect(pcm.length).toBe(packets.length * 320);
    // Each segment matches its own stretch of the source, at a lag no larger than the codec
    // delays plus the extra 20 ms frame libopus' encoder adds: nothing lost or repeated.
    const minimum = [0.95, 0.99, 0.85, 0.6];
    const lags: number[] = [];
    for (let i = 0; i < 4; i++) {
      const from = i * segmentS * 16_000 + 1600;
      const aligned = bestAlignment(source.pcm16k, pcm, 1600, {
        from,
        length: segmentS * 16_000 - 3200,
      });
      expect(aligned.correlation, `segment ${i}`).toBeGreaterThanOrEqual(minimum[i]!);
      lags.push(aligned.lag);
    }
    for (const lag of lags) expect(Math.abs(lag)).toBeLessThan(16 * 40);
    receiver.close();
  });
});
