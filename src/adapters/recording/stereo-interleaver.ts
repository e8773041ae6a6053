import { endianness } from 'node:os';
import type { Channel } from '../../domain/call.js';

// Interleaved frames are handed to the file as the bytes of an Int16Array: WAV is little-endian.
if (endianness() !== 'LE') throw new Error('recordings need a little-endian platform');

/**
 * Pairs the two channels sample by sample. Channels arrive independently (two RTP streams), so
 * one may lag or stop (hold, single-stream SBCs); past `maxSkewSamples` the quiet side is padded
 * with silence so the file keeps both channels time-aligned.
 *
 * Each side's samples are copied into a ring of its own and paired straight into the caller's
 * buffer: nothing is allocated per frame, and no frame is kept (the media layer's buffers are
 * its own).
 */
export class StereoInterleaver {
  // Two fields, not a record indexed by channel: a keyed load that sees both names goes
  // megamorphic in V8, and this runs for every packet of every call.
  readonly #caller = new SampleRing();
  readonly #agent = new SampleRing();

  constructor(private readonly maxSkewSamples: number) {}

  /** Takes one side's samples; `ready` then says how many stereo samples can be taken. */
  push(channel: Channel, pcm: Int16Array): void {
    const isCaller = channel === 'CALLER';
    const own = isCaller ? this.#caller : this.#agent;
    const other = isCaller ? this.#agent : this.#caller;
    own.write(pcm);
    const skew = own.length - other.length - this.maxSkewSamples;
    if (skew > 0) other.pad(skew);
  }

  /** Stereo samples complete on both sides. */
  get ready(): number {
    return Math.min(this.#caller.length, this.#agent.length);
  }

  /** Pads the shorter side so that everything held is ready (the end of the recording). */
  padToEnd(): void {
    const longest = Math.max(this.#caller.length, this.#agent.length);
    this.#caller.pad(longest - this.#caller.length);
    this.#agent.pad(longest - this.#agent.length);
  }

  /** Moves `samples` (at most `ready`) stereo samples into `out` (left, right, ...) from `offset`. */
  take(samples: number, out: Int16Array, offset: number): void {
    const byteOffset = out.byteOffset + 2 * offset;
    if (byteOffset % 4 !== 0) {
      this.#caller.read(samples, out, offset);
      this.#agent.read(samples, out, offset + 1);
      return;
    }
    // One 32-bit store per stereo sample (left in the low half: little-endian), in runs where
    // neither ring wraps: half the stores and loop turns of filling each side in turn.
    const pairs = new Int32Array(out.buffer, byteOffset, samples);
    const left = this.#caller;
    const right = this.#agent;
    let done = 0;
    while (done < samples) {
      const run = Math.min(samples - done, left.contiguous, right.contiguous);
      interleave(left.buffer, left.start, right.buffer, right.start, pairs, done, run);
      left.consume(run);
      right.consume(run);
      done += run;
    }
  }
}

function interleave(
  left: Int16Array,
  leftStart: number,
  right: Int16Array,
  rightStart: number,
  out: Int32Array,
  outStart: number,
  samples: number,
): void {
  for (let i = 0; i < samples; i++)
    out[outStart + i] = (left[leftStart + i]! & 0xffff) | (right[rightStart + i]! << 16);
}

/** One side's samples waiting for the other side; grows (never shrinks) to the longest wait. */
class SampleRing {
  #buffer = new Int16Array(4096);
  #start = 0;
  length = 0;

  get buffer(): Int16Array {
    return this.#buffer;
  }

  /** Where the oldest held sample is. */
  get start(): number {
    return this.#start;
  }

  /** Held samples readable from `start` without wrapping. */
  get contiguous(): number {
    return Math.min(this.length, this.#buffer.length - this.#start);
  }

  /** Drops the oldest `samples` (at most `contiguous`), once read from `buffer`. */
  consume(samples: number): void {
    this.length -= samples;
    this.#advanceTo(this.#start + samples);
  }

  /**
   * Moves the oldest held sample to `next` (wrapping at the end). An emptied ring (both sides in
   * step, as they nearly always are) starts at its front again, so a call's rings touch the same
   * few KB, which stay in cache, instead of walking the whole ring round, cold, at hundreds of
   * calls per thread.
   */
  #advanceTo(next: number): void {
    this.#start = this.length === 0 ? 0 : next % this.#buffer.length;
  }

  write(pcm: Int16Array): void {
    this.#reserve(pcm.length);
    const capacity = this.#buffer.length;
    const end = (this.#start + this.length) % capacity;
    const first = Math.min(pcm.length, capacity - end);
    this.#buffer.set(first === pcm.length ? pcm : pcm.subarray(0, first), end);
    if (first < pcm.length) this.#buffer.set(pcm.subarray(first), 0);
    this.length += pcm.length;
  }

  pad(samples: number): void {
    if (samples <= 0) return;
    this.#reserve(samples);
    const capacity = this.#buffer.length;
    const end = (this.#start + this.length) % capacity;
    const first = Math.min(samples, capacity - end);
    this.#buffer.fill(0, end, end + first);
    if (first < samples) this.#buffer.fill(0, 0, samples - first);
    this.length += samples;
  }

  /** Writes `samples` into every other slot of `out` from `slot`. */
  read(samples: number, out: Int16Array, slot: number): void {
    const buffer = this.#buffer;
    const capacity = buffer.length;
    const start = this.#start;
    // Two straight runs (up to the ring's end, then from its start): no wrap test per sample.
    const first = Math.min(samples, capacity - start);
    for (let i = 0; i < first; i++) out[slot + 2 * i] = buffer[start + i]!;
    const rest = samples - first;
    const restSlot = slot + 2 * first;
    for (let i = 0; i < rest; i++) out[restSlot + 2 * i] = buffer[i]!;
    this.length -= samples;
    this.#advanceTo(start + samples);
  }

  #reserve(more: number): void {
    const needed = this.length + more;
    if (needed <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Int16Array(capacity);
    const first = Math.min(this.length, this.#buffer.length - this.#start);
    grown.set(this.#buffer.subarray(this.#start, this.#start + first), 0);
    grown.set(this.#buffer.subarray(0, this.length - first), first);
    this.#buffer = grown;
    this.#start = 0;
  }
}
