import type { DropCounter } from './drop-counter.js';
import { decodeG711Into, g711Table, type G711Codec } from './g711.js';
import { parseRtpPacket } from './rtp-packet.js';

/** RFC 3389 comfort noise: carries no audio we could decode, skipped like telephone-event. */
export const COMFORT_NOISE_PAYLOAD_TYPE = 13;
const G711_SAMPLE_RATE_HZ = 8000;
// RFC 3550 appendix A.1: beyond these, a sequence jump means the sender restarted.
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface RtpStreamFormat {
  payloadType: number;
  codec: G711Codec;
  ignoredPayloadTypes: readonly number[];
}

export interface RtpStreamReceiverOptions {
  drops: DropCounter;
  /** Packets held while waiting for a missing one before it is declared lost. */
  reorderWindowPackets?: number;
  /** Longer timestamp gaps are not filled (a sender restart, not loss or silence suppression). */
  maxGapFillMs?: number;
}

interface Pending {
  seq: number;
  timestamp: number;
  /** null for skipped payload types: they hold a sequence number but carry no audio. */
  payload: Uint8Array | null;
}

/**
 * One inbound RTP stream: latches to the first source, follows the SSRC, reorders within a
 * small window, and turns loss and silence suppression into silence of the right length
 * (from RTP timestamps), so both channels stay on one timeline.
 */
export class RtpStreamReceiver {
  readonly #drops: DropCounter;
  readonly #windowPackets: number;
  readonly #maxGapSamples: number;
  #format: RtpStreamFormat | null = null;
  #table: Readonly<Int16Array> | null = null;
  #onAudio: (pcm: Int16Array) => void = () => {};
  #sourceAddress: string | null = null;
  #sourcePort = 0;
  #ssrc: number | null = null;
  #expectedSeq: number | null = null;
  #lastReleasedSeq = -1;
  #nextTimestamp: number | null = null;
  #window: Pending[] = [];
  packetsDecoded = 0;
  packetsLost = 0;
  ssrcChanges = 0;

  constructor(options: RtpStreamReceiverOptions) {
    this.#drops = options.drops;
    this.#windowPackets = Math.max(1, options.reorderWindowPackets ?? 4);
    this.#maxGapSamples = ((options.maxGapFillMs ?? 10_000) * G711_SAMPLE_RATE_HZ) / 1000;
  }

  get format(): RtpStreamFormat | null {
    return this.#format;
  }

  configure(format: RtpStreamFormat, onAudio: (pcm: Int16Array) => void): void {
    this.#format = format;
    this.#table = g711Table(format.codec);
    this.#onAudio = onAudio;
  }

  /** Latches to the first sender; later packets from anyone else are counted and refused. */
  acceptSource(address: string, port: number): boolean {
    if (this.#sourceAddress === null) {
      this.#sourceAddress = address;
      this.#sourcePort = port;
      return true;
    }
    if (port === this.#sourcePort && address === this.#sourceAddress) return true;
    this.#drops.count('wrong-source');
    return false;
  }

  push(buf: Uint8Array): void {
    const format = this.#format;
    if (format === null) {
      this.#drops.count('not-attached');
      return;
    }
    const parsed = parseRtpPacket(buf);
    if (!parsed.ok) {
      this.#drops.count(parsed.reason);
      return;
    }
    const packet = parsed.packet;
    const pt = packet.payloadType;
    const isAudio = pt === format.payloadType;
    if (!isAudio && pt !== COMFORT_NOISE_PAYLOAD_TYPE && !format.ignoredPayloadTypes.includes(pt)) {
      this.#drops.count('unknown-payload-type');
      return;
    }
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
    if (this.#window.some((p) => p.seq === seq)) {
      this.#drops.count('duplicate');
      return;
    }
    this.#window.push({
      seq,
      timestamp: packet.timestamp,
      payload: isAudio
        ? buf.subarray(packet.payloadOffset, packet.payloadOffset + packet.payloadLength)
        : null,
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
      this.#release(entry);
      this.#expectedSeq = (entry.seq + 1) & 0xffff;
    }
  }

  #release(entry: Pending): void {
    this.#lastReleasedSeq = entry.seq;
    const payload = entry.payload;
    const table = this.#table;
    if (payload === null || table === null) return;
    if (this.#nextTimestamp !== null) {
      const gap = (entry.timestamp - this.#nextTimestamp) | 0;
      if (gap > 0 && gap <= this.#maxGapSamples) this.#onAudio(new Int16Array(gap));
    }
    const pcm = new Int16Array(payload.length);
    decodeG711Into(table, payload, 0, payload.length, pcm, 0);
    this.packetsDecoded++;
    this.#nextTimestamp = (entry.timestamp + payload.length) >>> 0;
    this.#onAudio(pcm);
  }
}

/** Signed distance a − b in 16-bit sequence space. */
function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}
