import { beforeAll, describe, expect, it } from 'vitest';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { RTP_FIXED_HEADER_BYTES } from '../../src/adapters/rtp/rtp-packet.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import type { AudioDecoder, AudioDecoderFactory } from '../../src/media/audio-decoder.js';
import { threadDecodeScratch, type PcmSlab } from '../../src/media/pcm-slab.js';
import type { StreamPayload } from '../../src/media/stream-payload.js';
import {
  comfortNoise,
  payloadOf,
  telephoneEvent,
  type RtpClip,
  type SourceClip,
} from '../support/codec-clips.js';
import { concatPcm } from '../support/media.js';
import { bestAlignment, rms } from '../support/signal.js';

export interface DecoderCase {
  name: string;
  factory: () => AudioDecoderFactory;
  /** The reference clip encoded by an encoder callscribe did not write. */
  clip: (source: SourceClip) => Promise<RtpClip>;
  /** Correlation with the source after alignment that the codec reaches on this clip. */
  minCorrelation: number;
  /** The same clip decoded by an independent decoder (ffmpeg's), at the decoder's output rate. */
  independentDecode?: (clip: RtpClip) => Int16Array;
}

const TELEPHONE_EVENT_PT = 101;

/** Decodes a clip the way production does: through one stream receiver, frames at the codec's rate. */
export function receive(
  factory: AudioDecoderFactory,
  packets: readonly Buffer[],
  payloadType: number,
): { pcm: Int16Array; receiver: RtpStreamReceiver; drops: DropCounter } {
  const stream = receiving(factory, payloadType);
  for (const packet of packets) stream.receiver.push(packet);
  return stream.end();
}

/** One stream receiver as production makes it, its frames copied as they come. */
function receiving(
  factory: AudioDecoderFactory,
  payloadType: number,
  decodeScratch?: PcmSlab,
): {
  receiver: RtpStreamReceiver;
  end(): { pcm: Int16Array; receiver: RtpStreamReceiver; drops: DropCounter };
} {
  const drops = new DropCounter();
  const receiver = new RtpStreamReceiver({
    drops,
    reorderWindowPackets: 4,
    ...(decodeScratch ? { decodeScratch } : {}),
  });
  const payloads: StreamPayload[] = [
    { payloadType, kind: 'audio', decoder: factory },
    { payloadType: TELEPHONE_EVENT_PT, kind: 'telephone-event' },
  ];
  const frames: Int16Array[] = [];
  receiver.configure(
    {
      payloads: new Map(payloads.map((p) => [p.payloadType, p])),
      outputRateHz: factory.codec.outputRateHz,
    },
    (frame) => {
      expect(frame.sampleRateHz).toBe(factory.codec.outputRateHz);
      frames.push(frame.pcm.slice());
    },
  );
  return {
    receiver,
    end: () => {
      receiver.flush();
      const pcm = concatPcm(frames);
      receiver.close();
      return { pcm, receiver, drops };
    },
  };
}

function renumber(packets: readonly Buffer[]): Buffer[] {
  const first = packets[0]?.readUInt16BE(2) ?? 0;
  return packets.map((p, i) => {
    const copy = Buffer.from(p);
    copy.writeUInt16BE((first + i) & 0xffff, 2);
    return copy;
  });
}

/**
 * One suite every audio decoder passes, on the same reference clip (the wideband sample call):
 * decoded audio matches the source, lost packets are concealed with audio of the right length,
 * RFC 4733 events and RFC 3389 comfort noise are recognised and never decoded, garbage never
 * throws, and native state is freed once.
 */
export function describeAudioDecoderContract(
  c: DecoderCase,
  loadSourceClip: () => SourceClip,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`audio decoder contract: ${c.name}`, () => {
    let source: SourceClip;
    let clip: RtpClip;
    let factory: AudioDecoderFactory;
    let reference: Int16Array;
    let rateKhz: number;

    beforeAll(async () => {
      source = loadSourceClip();
      clip = await c.clip(source);
      factory = c.factory();
      reference = factory.codec.outputRateHz === 16_000 ? source.pcm16k : source.pcm8k;
      rateKhz = factory.codec.outputRateHz / 1000;
    }, 60_000);

    const match = (pcm: Int16Array) =>
      bestAlignment(reference, pcm, 60 * rateKhz, {
        from: 200 * rateKhz,
        length: reference.length - 400 * rateKhz,
      });

    it('decodes the reference clip to the source: same length, correlated after alignment', () => {
      const { pcm, receiver, drops } = receive(factory, clip.packets, clip.payloadType);
      expect(Math.abs(pcm.length - reference.length)).toBeLessThanOrEqual(20 * rateKhz);
      const aligned = match(pcm);
      expect(aligned.correlation).toBeGreaterThanOrEqual(c.minCorrelation);
      expect(receiver.packetsDecoded).toBe(clip.packets.length);
      expect(receiver.packetsLost).toBe(0);
      expect(drops.get('undecodable')).toBe(0);
    });

    it("decodes streams that share their thread's decode scratch as it decodes each alone", () => {
      // Two streams of one thread, packets arriving in turn; the second is the clip from its
      // middle, so the two decode different audio at the same time.
      const offset = middleOf(clip.packets);
      const scratch = threadDecodeScratch();
      const first = receiving(factory, clip.payloadType, scratch);
      const second = receiving(factory, clip.payloadType, scratch);
      for (let i = 0; i < clip.packets.length; i++) {
        first.receiver.push(clip.packets[i]!);
        const other = clip.packets[offset + i];
        if (other !== undefined) second.receiver.push(other);
      }
      expect(first.end().pcm).toEqual(receive(factory, clip.packets, clip.payloadType).pcm);
      expect(second.end().pcm).toEqual(
        receive(factory, clip.packets.slice(offset), clip.payloadType).pcm,
      );
    });

    // Registered only for cases that name an outside decoder of the same packets, rather than
    // shown as a skip for the others.
    const independentDecode = c.independentDecode;
    if (independentDecode !== undefined) {
      it('agrees with an independent decoder of the same packets', () => {
        const decoder = factory.create();
        // Each copied: a decoder may reuse its output buffer (AudioDecoder's contract).
        const ours = concatPcm(clip.packets.map((p) => decodePayload(decoder, p).slice()));
        decoder.close();
        const theirs = independentDecode(clip);
        const aligned = bestAlignment(theirs, ours, 10 * rateKhz, {
          from: 200 * rateKhz,
          length: Math.min(theirs.length, ours.length) - 400 * rateKhz,
        });
        expect(aligned.correlation).toBeGreaterThan(0.99);
      });
    }

    it('conceals lost packets with audio of the right length and sane level', () => {
      // Every 20th packet lost (5 %), never two in a row.
      const kept = clip.packets.filter((_, i) => i % 20 !== 10);
      const lossless = receive(factory, clip.packets, clip.payloadType).pcm;
      const { pcm, receiver } = receive(factory, kept, clip.payloadType);
      expect(receiver.packetsLost).toBe(clip.packets.length - kept.length);
      expect(Math.abs(pcm.length - lossless.length)).toBeLessThanOrEqual(1);
      expect(match(pcm).correlation).toBeGreaterThanOrEqual(c.minCorrelation - 0.15);
      // Concealment never blows up: no stretch is louder than the loudest of the clean decode.
      const window = 20 * rateKhz;
      let loudest = 0;
      for (let at = 0; at + window <= lossless.length; at += window)
        loudest = Math.max(loudest, rms(lossless, at, at + window));
      for (let at = 0; at + window <= pcm.length; at += window)
        expect(rms(pcm, at, at + window)).toBeLessThanOrEqual(loudest * 1.5 + 100);

      const decoder = factory.create();
      try {
        for (const p of clip.packets.slice(0, 25)) decodePayload(decoder, p);
        for (const n of [1, 37, 80, 160, 321, 960, 0]) expect(decoder.conceal(n)).toHaveLength(n);
        // Concealment is silence or the codec's own, never the last packet's audio left in a
        // reused buffer: after loud packets, a codec without concealment of its own gives zeros.
        if (['PCMU', 'PCMA', 'G722'].includes(decoder.codec.name)) {
          decodePayload(decoder, clip.packets[middleOf(clip.packets)]!);
          expect(decoder.conceal(160).every((s) => s === 0)).toBe(true);
        }
      } finally {
        decoder.close();
      }
    });

    it('recognises telephone-event and comfort noise packets and never decodes them', () => {
      const middle = Math.floor(clip.packets.length / 2);
      const anchor = clip.packets[middle]!;
      const ssrc = anchor.readUInt32BE(8);
      const timestamp = anchor.readUInt32BE(4);
      const signalling = [
        ...[0, 1, 2].map((i) =>
          telephoneEvent({
            payloadType: TELEPHONE_EVENT_PT,
            sequenceNumber: 0,
            timestamp,
            ssrc,
            event: 5,
            durationTicks: 160 * (i + 1),
            end: i === 2,
          }),
        ),
        comfortNoise({ sequenceNumber: 0, timestamp, ssrc }),
      ];
      const mixed = renumber([
        ...clip.packets.slice(0, middle),
        ...signalling,
        ...clip.packets.slice(middle),
      ]);
      const plain = receive(factory, clip.packets, clip.payloadType);
      const { pcm, receiver, drops } = receive(factory, mixed, clip.payloadType);
      expect(receiver.telephoneEventPackets).toBe(3);
      expect(receiver.comfortNoisePackets).toBe(1);
      expect(drops.get('unknown-payload-type')).toBe(0);
      expect(receiver.packetsLost).toBe(0);
      // Not one sample of the audio changed: nothing of the events reached the decoder.
      expect(pcm).toEqual(plain.pcm);
    });

    it('never throws on garbage payloads, and decodes nothing from an empty one', () => {
      const decoder = factory.create();
      try {
        let seed = 7;
        const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
        for (const length of [1, 2, 3, 7, 10, 11, 160, 333, 1275]) {
          const garbage = Uint8Array.from({ length }, random);
          expect(() => decoder.decode(garbage, 0, length)).not.toThrow();
        }
        expect(decoder.decode(new Uint8Array(0), 0, 0)).toHaveLength(0);
        expect(decoder.decode(new Uint8Array(20), 12, 0)).toHaveLength(0);
      } finally {
        decoder.close();
      }
      expect(() => decoder.close()).not.toThrow();
      expect(decodePayload(decoder, clip.packets[0]!)).toHaveLength(0);
    });

    it('reads the payload where it lies in the datagram, as a copy of it on its own decodes', () => {
      const inPlace = factory.create();
      const alone = factory.create();
      try {
        for (const packet of clip.packets.slice(0, 50)) {
          // Trailing bytes past the payload (padding, a longer buffer) must not be read either.
          const datagram = Buffer.concat([packet, Buffer.from([0xff, 0x00, 0x7f])]);
          const length = packet.length - RTP_FIXED_HEADER_BYTES;
          const fromDatagram = inPlace.decode(datagram, RTP_FIXED_HEADER_BYTES, length).slice();
          expect(fromDatagram).toEqual(alone.decode(Uint8Array.from(payloadOf(packet)), 0, length));
        }
      } finally {
        inPlace.close();
        alone.close();
      }
    });
  });
}

/** A clip packet's payload decoded as a view of its own. */
function decodePayload(decoder: AudioDecoder, packet: Buffer): Int16Array {
  const payload = payloadOf(packet);
  return decoder.decode(payload, 0, payload.length);
}

function middleOf(items: readonly unknown[]): number {
  return Math.floor(items.length / 2);
}
