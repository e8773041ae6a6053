import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildRtpPacket } from '../adapters/rtp/rtp-packet.js';

const PTIME_MS = 20;
const SAMPLES_PER_PACKET = 160;
const MULAW_SILENCE = 0xff;
const PCMU_PAYLOAD_TYPE = 0;

export interface PacedStreamOptions {
  /** Sends one datagram; a connected UDP socket's `send` in practice. */
  send(packet: Buffer): void;
  /** Raw µ-law, 8 kHz, sent as PCMU; ignored when `encoded` is given. */
  audio: Uint8Array;
  /** Payloads already encoded in another codec, one per 20 ms packet, sent in order. */
  encoded?: EncodedPayloads;
  /**
   * Whole datagrams built beforehand (SRTP-protected ahead of time, so the sender's crypto is
   * not part of what is timed), one per 20 ms slot, sent as they are; `audio`, `encoded` and
   * `loop` are then ignored and the stream ends after the last.
   */
  prebuilt?: readonly Buffer[];
  loop: boolean;
  /** Stop after this many packets even when looping. */
  maxPackets?: number;
  /** Delay of the first packet; spreads many streams over the 20 ms grid as real senders are. */
  phaseMs?: number;
  onEnd?(): void;
}

export interface EncodedPayloads {
  payloadType: number;
  payloads: readonly Uint8Array[];
  /** RTP timestamp step per packet (160 for 20 ms at 8 kHz, 960 for Opus at 48 kHz). */
  ticksPerPacket: number;
}

export interface PacedStream {
  readonly ssrc: number;
  readonly packetsSent: number;
  readonly done: boolean;
}

interface StreamState extends PacedStream {
  options: PacedStreamOptions;
  startMs: number;
  slotsElapsed: number;
  packetsSent: number;
  firstSeq: number;
  firstTimestamp: number;
  done: boolean;
}

export interface RtpPacerOptions {
  /** How often the pacer wakes; each stream still sends on its own 20 ms grid. */
  tickMs?: number;
  /** Behind by more packets than this (an event-loop stall), the oldest are skipped, not burst. */
  maxBurstPackets?: number;
  /**
   * Called after every pass that may have sent packets (each tick, each stream added): a sender
   * that batches its datagrams (one sendmmsg per pass) sends them here.
   */
  afterSends?(): void;
}

/**
 * Sends 20 ms packets (PCMU, or payloads of any codec encoded beforehand) for many streams from one timer. Every packet's send time is
 * computed from the stream's start (start + n × 20 ms), so timer lateness never accumulates
 * into drift; one shared timer keeps a thousand streams cheap.
 */
export class RtpPacer {
  readonly #tickMs: number;
  readonly #maxBurst: number;
  readonly #afterSends: (() => void) | undefined;
  readonly #streams = new Set<StreamState>();
  #timer: NodeJS.Timeout | null = null;
  #anchorMs = 0;
  packetsSent = 0;
  /** Packets given up because the pacer fell behind: the generator, not the receiver, lost them. */
  packetsSkipped = 0;

  constructor(options: RtpPacerOptions = {}) {
    this.#tickMs = options.tickMs ?? 5;
    this.#maxBurst = options.maxBurstPackets ?? 5;
    this.#afterSends = options.afterSends;
  }

  get activeStreams(): number {
    return this.#streams.size;
  }

  add(options: PacedStreamOptions): PacedStream {
    const random = randomBytes(10);
    const state: StreamState = {
      options,
      ssrc: random.readUInt32BE(0),
      firstSeq: random.readUInt16BE(4),
      firstTimestamp: random.readUInt32BE(6),
      startMs: performance.now() + (options.phaseMs ?? 0),
      slotsElapsed: 0,
      packetsSent: 0,
      done: false,
    };
    this.#streams.add(state);
    this.#sendDue(state, state.startMs);
    this.#afterSends?.();
    this.#schedule();
    return state;
  }

  remove(stream: PacedStream): void {
    this.#streams.delete(stream as StreamState);
    if (this.#streams.size === 0) this.#cancel();
  }

  stop(): void {
    this.#streams.clear();
    this.#cancel();
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#anchorMs = performance.now();
    const tick = (): void => {
      const now = performance.now();
      for (const stream of this.#streams) this.#sendDue(stream, now);
      this.#afterSends?.();
      if (this.#streams.size === 0) {
        this.#timer = null;
        return;
      }
      const next =
        this.#anchorMs + Math.ceil((now - this.#anchorMs + 0.01) / this.#tickMs) * this.#tickMs;
      this.#timer = setTimeout(tick, Math.max(0, next - performance.now()));
    };
    this.#timer = setTimeout(tick, this.#tickMs);
  }

  #cancel(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #sendDue(stream: StreamState, nowMs: number): void {
    const due = Math.floor((nowMs - stream.startMs) / PTIME_MS) + 1;
    const { audio, loop, maxPackets, encoded, prebuilt } = stream.options;
    const packetsInSource = prebuilt
      ? prebuilt.length
      : encoded
        ? encoded.payloads.length
        : Math.ceil(audio.length / SAMPLES_PER_PACKET);
    const totalSlots = loop && !prebuilt ? Infinity : packetsInSource;
    const limit = Math.min(totalSlots, maxPackets ?? Infinity);
    if (due - stream.slotsElapsed > this.#maxBurst) {
      const skipped = Math.min(due - this.#maxBurst, limit) - stream.slotsElapsed;
      if (skipped > 0) {
        stream.slotsElapsed += skipped;
        this.packetsSkipped += skipped;
      }
    }
    while (stream.slotsElapsed < due && stream.slotsElapsed < limit) {
      const slot = stream.slotsElapsed++;
      stream.options.send(prebuilt ? prebuilt[slot]! : buildPacket(stream, slot));
      stream.packetsSent++;
      this.packetsSent++;
    }
    if (stream.slotsElapsed >= limit && !stream.done) {
      stream.done = true;
      this.remove(stream);
      stream.options.onEnd?.();
    }
  }
}

function buildPacket(stream: StreamState, slot: number): Buffer {
  const { audio, encoded } = stream.options;
  const payload = encoded
    ? (encoded.payloads[slot % encoded.payloads.length] ?? new Uint8Array(0))
    : payloadFor(audio, slot);
  return buildRtpPacket({
    payloadType: encoded?.payloadType ?? PCMU_PAYLOAD_TYPE,
    sequenceNumber: stream.firstSeq + slot,
    timestamp: stream.firstTimestamp + slot * (encoded?.ticksPerPacket ?? SAMPLES_PER_PACKET),
    ssrc: stream.ssrc,
    marker: slot === 0,
    payload,
  });
}

function payloadFor(audio: Uint8Array, slot: number): Uint8Array {
  if (audio.length === 0) return new Uint8Array(SAMPLES_PER_PACKET).fill(MULAW_SILENCE);
  const packetsPerRound = Math.ceil(audio.length / SAMPLES_PER_PACKET);
  const start = (slot % packetsPerRound) * SAMPLES_PER_PACKET;
  if (start + SAMPLES_PER_PACKET <= audio.length)
    return audio.subarray(start, start + SAMPLES_PER_PACKET);
  // A file that is not a whole number of packets long ends in a silence-padded packet, so a
  // looping stream restarts the file on a packet boundary.
  const out = new Uint8Array(SAMPLES_PER_PACKET).fill(MULAW_SILENCE);
  out.set(audio.subarray(start));
  return out;
}
