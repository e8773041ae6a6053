import type { AudioFrame } from '../../media/audio-frame.js';
import type { AudioDecoder, DecoderOptions } from '../../media/audio-decoder.js';
import type { PcmSlab } from '../../media/pcm-slab.js';
import { COMFORT_NOISE_STATIC_PAYLOAD_TYPE } from '../../media/codecs.js';
import { FrameRateConverter } from '../../media/resampler.js';
import type { DropCounter } from './drop-counter.js';
import type { StreamPayload } from '../../media/stream-payload.js';
import { readRtpHeader, RtpHeader } from './rtp-packet.js';

// RFC 3550 appendix A.1: beyond these, a sequence jump means the sender restarted.
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface RtpStreamFormat {
  /** Every payload type the answer accepted on this stream. */
  payloads: ReadonlyMap<number, StreamPayload>;
  /** The rate of every frame handed on, whatever codec each packet used. */
  outputRateHz: number;
}

export interface RtpStreamReceiverOptions {
  drops: DropCounter;
  /** Packets held while waiting for a missing one before it is declared lost. */
  reorderWindowPackets?: number;
  /** Longer timestamp gaps are not filled (a sender restart, not loss or silence suppression). */
  maxGapFillMs?: number;
  /** Of a filled gap, at most this much goes through the codec's concealment; the rest is silence. */
  maxConcealMs?: number;
  /** The decode scratch of this receiver's thread, shared by its streams' decoders. */
  decodeScratch?: PcmSlab;
}

interface Pending {
  seq: number;
  timestamp: number;
  payloadType: number;
  /** The datagram; null for signalling payloads: they hold a sequence number but carry no audio. */
  packet: Uint8Array | null;
  payloadOffset: number;
  payloadLength: number;
}

/**
 * One inbound RTP stream: latches to the first source, follows the SSRC, reorders within a
 * small window, decodes every packet by its own payload type (so a codec switch, with or without
 * a re-INVITE, keeps the audio going), brings every frame to the stream's one output rate, and
 * turns loss and silence suppression into concealment or silence of the right length (from RTP
 * timestamps), so both channels stay on one timeline.
 *
 * Self-contained on purpose: no logger, no clock, nothing but the frame callback, so streams
 * can move to worker threads.
 */
export class RtpStreamReceiver {
  readonly #drops: DropCounter;
  readonly #windowPackets: number;
  readonly #maxGapFillMs: number;
  readonly #maxConcealMs: number;
  /** What every decoder of this stream is made with (the thread's scratch, when given). */
  readonly #decoderOptions: DecoderOptions;
  #payloads: ReadonlyMap<number, StreamPayload> | null = null;
  readonly #decoders = new Map<number, AudioDecoder>();
  #converter: FrameRateConverter | null = null;
  #onFrame: (frame: AudioFrame) => void = () => {};
  #sourceAddress: string | null = null;
  #sourcePort = 0;
  /** The next packet from another source takes the stream over (see `allowNewSource`). */
  #newSourceAllowed = false;
  /** Packets the current source may still send without withdrawing that permission. */
  #newSourceGracePackets = 0;
  #ssrc: number | null = null;
  #expectedSeq: number | null = null;
  #lastReleasedSeq = -1;
  #nextTimestamp: number | null = null;
  #lastClockRateHz = 0;
  #window: Pending[] = [];
  /** Each packet's header is read into this one object (nothing else keeps it). */
  readonly #header = new RtpHeader();
  packetsDecoded = 0;
  packetsLost = 0;
  ssrcChanges = 0;
  sourceChanges = 0;
  telephoneEventPackets = 0;
  comfortNoisePackets = 0;
  /** Packets decoded per codec name. */
  readonly #decodedByCodec = new Map<string, { packets: number }>();
  /**
   * The last payload type's decoder and counter: nearly every packet has the payload type of the
   * one before, and two Map lookups per packet showed in profiles at hundreds of calls.
   */
  #cachedPayloadType = -1;
  #cachedKindPayloadType = -1;
  #cachedKind: StreamPayload['kind'] | 'comfort-noise' | undefined;
  #cachedDecoder: AudioDecoder | null = null;
  #cachedCounter = { packets: 0 };

  constructor(options: RtpStreamReceiverOptions) {
    this.#drops = options.drops;
    this.#windowPackets = Math.max(1, options.reorderWindowPackets ?? 4);
    this.#maxGapFillMs = options.maxGapFillMs ?? 10_000;
    this.#maxConcealMs = options.maxConcealMs ?? 1000;
    this.#decoderOptions = options.decodeScratch ? { scratch: options.decodeScratch } : {};
  }

  /** Packets decoded per codec name. */
  get decodedByCodec(): Record<string, number> {
    return Object.fromEntries(
      [...this.#decodedByCodec].map(([name, counter]) => [name, counter.packets]),
    );
  }

  get configured(): boolean {
    return this.#payloads !== null;
  }

  get outputRateHz(): number | null {
    return this.#converter?.targetRateHz ?? null;
  }

  /**
   * Sets (or, after a re-INVITE, replaces) the accepted payload types. Decoders of payload types
   * that still mean the same codec keep their state; the others are freed.
   */
  configure(format: RtpStreamFormat, onFrame: (frame: AudioFrame) => void): void {
    for (const [payloadType, decoder] of this.#decoders) {
      const next = format.payloads.get(payloadType);
      if (next?.kind !== 'audio' || next.decoder.codec !== decoder.codec) {
        decoder.close();
        this.#decoders.delete(payloadType);
      }
    }
    this.#payloads = format.payloads;
    this.#cachedPayloadType = -1;
    this.#cachedKindPayloadType = -1;
    if (this.#converter?.targetRateHz !== format.outputRateHz)
      this.#converter = new FrameRateConverter(format.outputRateHz);
    this.#onFrame = onFrame;
  }

  /**
   * Latches to the first sender; later packets from anyone else are counted and refused, unless
   * a new source was allowed and the current one has not sent since.
   */
  acceptSource(address: string, port: number): boolean {
    if (port === this.#sourcePort && address === this.#sourceAddress) {
      if (this.#newSourceGracePackets > 0) this.#newSourceGracePackets--;
      else this.#newSourceAllowed = false;
      return true;
    }
    if (this.#sourceAddress === null || this.#newSourceAllowed) {
      if (this.#sourceAddress !== null) this.sourceChanges++;
      this.#sourceAddress = address;
      this.#sourcePort = port;
      this.#newSourceAllowed = false;
      this.#newSourceGracePackets = 0;
      return true;
    }
    this.#drops.count('wrong-source');
    return false;
  }

  /** Whether packets from this address are the latched sender's. */
  isLatchedTo(address: string, port: number): boolean {
    return port === this.#sourcePort && address === this.#sourceAddress;
  }

  /**
   * Lets another sender take the stream over: after a re-INVITE (a transfer may move the SBC's
   * media to another port, while the old one still sends its last packets: `gracePackets`) or
   * when the current sender went quiet (SBC fail-over). Beyond the grace, a packet from the
   * current sender withdraws the permission, so a live stream cannot be hijacked later.
   */
  allowNewSource(gracePackets = 0): void {
    if (this.#sourceAddress === null) return;
    this.#newSourceAllowed = true;
    this.#newSourceGracePackets = gracePackets;
  }

  push(buf: Uint8Array): void {
    const payloads = this.#payloads;
    if (payloads === null) {
      this.#drops.count('not-attached');
      return;
    }
    const packet = this.#header;
    const failure = readRtpHeader(buf, packet);
    if (failure !== null) {
      this.#drops.count(failure);
      return;
    }
    const pt = packet.payloadType;
    let kind = this.#cachedKind;
    if (pt !== this.#cachedKindPayloadType) {
      kind =
        payloads.get(pt)?.kind ??
        (pt === COMFORT_NOISE_STATIC_PAYLOAD_TYPE ? 'comfort-noise' : undefined);
      this.#cachedKindPayloadType = pt;
      this.#cachedKind = kind;
    }
    if (kind === undefined) {
      this.#drops.count('unknown-payload-type');
      return;
    }
    if (kind === 'telephone-event') this.telephoneEventPackets++;
    else if (kind === 'comfort-noise') this.comfortNoisePackets++;
    if (packet.ssrc !== this.#ssrc) {
      if (this.#ssrc !== null) {
        this.flush();
        this.ssrcChanges++;
      }
      this.#restart(packet.ssrc, packet.sequenceNumber);
    }
    const seq = packet.sequenceNumber;
    const ahead = seqDiff(seq, this.#expectedSeq ?? seq);
    if (ahead < 0 && ahead >= -MAX_MISORDER) {
      this.#drops.count(seq === this.#lastReleasedSeq ? 'duplicate' : 'late');
      return;
    }
    if (ahead < -MAX_MISORDER || ahead > MAX_DROPOUT) {
      this.flush();
      this.#restart(packet.ssrc, seq);
    }
    // The decoder reads the payload where it lies in the datagram: no view of it is made.
    const audio = kind === 'audio' ? buf : null;
    if (this.#window.length === 0 && seq === this.#expectedSeq) {
      // In order with nothing held, as nearly every packet is: released without queueing.
      this.#release(seq, packet.timestamp, pt, audio, packet.payloadOffset, packet.payloadLength);
      this.#expectedSeq = (seq + 1) & 0xffff;
      return;
    }
    if (this.#window.some((p) => p.seq === seq)) {
      this.#drops.count('duplicate');
      return;
    }
    this.#window.push({
      seq,
      timestamp: packet.timestamp,
      payloadType: pt,
      packet: audio,
      payloadOffset: packet.payloadOffset,
      payloadLength: packet.payloadLength,
    });
    this.#drain(false);
  }

  /** Releases everything held, in order; the stream continues afterwards. */
  flush(): void {
    this.#drain(true);
  }

  /** Forgets sequence state and held packets (paused audio must not leak into the next run). */
  reset(): void {
    this.#window = [];
    this.#ssrc = null;
    this.#expectedSeq = null;
    this.#nextTimestamp = null;
    this.#lastReleasedSeq = -1;
  }

  /** Frees every decoder (native state included); the receiver is unusable afterwards. */
  close(): void {
    for (const decoder of this.#decoders.values()) decoder.close();
    this.#decoders.clear();
    this.#cachedPayloadType = -1;
    this.#cachedKindPayloadType = -1;
    this.#cachedDecoder = null;
    this.#payloads = null;
    this.#window = [];
  }

  #restart(ssrc: number, seq: number): void {
    this.#ssrc = ssrc;
    this.#expectedSeq = seq;
    this.#nextTimestamp = null;
    this.#lastReleasedSeq = -1;
  }

  #drain(all: boolean): void {
    while (this.#window.length > 0 && this.#expectedSeq !== null) {
      const expected = this.#expectedSeq;
      let next = -1;
      let nearest = 0;
      for (let i = 0; i < this.#window.length; i++) {
        const d = seqDiff(this.#window[i]!.seq, expected);
        if (next < 0 || d < nearest) {
          next = i;
          nearest = d;
        }
      }
      if (nearest > 0) {
        if (!all && this.#window.length < this.#windowPackets) return;
        this.packetsLost += nearest;
      }
      const [entry] = this.#window.splice(next, 1);
      if (entry === undefined) return;
      this.#release(
        entry.seq,
        entry.timestamp,
        entry.payloadType,
        entry.packet,
        entry.payloadOffset,
        entry.payloadLength,
      );
      this.#expectedSeq = (entry.seq + 1) & 0xffff;
    }
  }

  #release(
    seq: number,
    timestamp: number,
    payloadType: number,
    packet: Uint8Array | null,
    payloadOffset: number,
    payloadLength: number,
  ): void {
    this.#lastReleasedSeq = seq;
    if (packet === null) return;
    let decoder = this.#cachedDecoder;
    if (payloadType !== this.#cachedPayloadType || decoder === null) {
      decoder = this.#decoderFor(payloadType);
      if (decoder === null) return;
      this.#cache(payloadType, decoder);
    }
    const clockRateHz = decoder.codec.rtpClockRateHz;
    // Timestamps of codecs with different clocks cannot be compared: the gap is unknown.
    if (clockRateHz !== this.#lastClockRateHz) this.#nextTimestamp = null;
    this.#lastClockRateHz = clockRateHz;
    if (this.#nextTimestamp !== null) this.#fillGap(decoder, timestamp - this.#nextTimestamp);
    const pcm = decoder.decode(packet, payloadOffset, payloadLength);
    if (pcm.length === 0) {
      // Unreadable for this codec: the next packet's gap covers its time with concealment.
      this.#drops.count('undecodable');
      return;
    }
    this.packetsDecoded++;
    this.#cachedCounter.packets++;
    const ticks = Math.round((pcm.length * clockRateHz) / decoder.outputRateHz);
    this.#nextTimestamp = (timestamp + ticks) >>> 0;
    this.#emit(pcm, decoder.outputRateHz);
  }

  #fillGap(decoder: AudioDecoder, rawGapTicks: number): void {
    const gapTicks = rawGapTicks | 0;
    const clockRateHz = decoder.codec.rtpClockRateHz;
    if (gapTicks <= 0 || gapTicks > (this.#maxGapFillMs * clockRateHz) / 1000) return;
    const rate = decoder.outputRateHz;
    const samples = Math.round((gapTicks * rate) / clockRateHz);
    const concealed = Math.min(samples, Math.round((this.#maxConcealMs * rate) / 1000));
    if (concealed > 0) this.#emit(decoder.conceal(concealed), rate);
    if (samples > concealed) this.#emit(new Int16Array(samples - concealed), rate);
  }

  #cache(payloadType: number, decoder: AudioDecoder): void {
    const name = decoder.codec.name;
    let counter = this.#decodedByCodec.get(name);
    if (counter === undefined) {
      counter = { packets: 0 };
      this.#decodedByCodec.set(name, counter);
    }
    this.#cachedPayloadType = payloadType;
    this.#cachedDecoder = decoder;
    this.#cachedCounter = counter;
  }

  #decoderFor(payloadType: number): AudioDecoder | null {
    const existing = this.#decoders.get(payloadType);
    if (existing !== undefined) return existing;
    const accepted = this.#payloads?.get(payloadType);
    if (accepted?.kind !== 'audio') return null;
    try {
      const decoder = accepted.decoder.create(this.#decoderOptions);
      this.#decoders.set(payloadType, decoder);
      return decoder;
    } catch {
      this.#drops.count('decoder-unavailable');
      return null;
    }
  }

  #emit(pcm: Int16Array, sampleRateHz: number): void {
    const converter = this.#converter;
    if (converter === null || pcm.length === 0) return;
    const frame = converter.convert({ pcm, sampleRateHz });
    if (frame.pcm.length > 0) this.#onFrame(frame);
  }
}

/** Signed distance a − b in 16-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}
