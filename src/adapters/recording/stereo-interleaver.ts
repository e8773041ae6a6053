import { endianness } from 'node:os';
import type { Channel } from '../../domain/call.js';

// Interleaved frames are handed to the file as the bytes of an Int16Array: WAV is little-endian.
if (endianness() !== 'LE') throw new Error('recordings need a little-endian platform');

/**
 * Pairs the two channels sample by sample. Channels arrive independently (two RTP streams), so
 * one may lag or stop (hold, single-stream SBCs); past `maxSkewSamples` the quiet side is padded
 * with silence so the file keeps both channels time-aligned.
 */
export class StereoInterleaver {
  private readonly queues: Record<Channel, Int16Array[]> = { CALLER: [], AGENT: [] };
  private readonly queued: Record<Channel, number> = { CALLER: 0, AGENT: 0 };

  constructor(private readonly maxSkewSamples: number) {}

  /** Interleaved stereo samples (left, right, ...) now complete on both sides, if any. */
  push(channel: Channel, pcm: Int16Array): Int16Array | undefined {
    this.queues[channel].push(pcm);
    this.queued[channel] += pcm.length;
    const other: Channel = channel === 'CALLER' ? 'AGENT' : 'CALLER';
    if (this.queued[channel] - this.queued[other] > this.maxSkewSamples) {
      this.pad(other, this.queued[channel] - this.queued[other] - this.maxSkewSamples);
    }
    return this.drain(Math.min(this.queued.CALLER, this.queued.AGENT));
  }

  /** Everything left, the shorter side padded. */
  flush(): Int16Array | undefined {
    const longest = Math.max(this.queued.CALLER, this.queued.AGENT);
    this.pad('CALLER', longest - this.queued.CALLER);
    this.pad('AGENT', longest - this.queued.AGENT);
    return this.drain(longest);
  }

  private pad(channel: Channel, samples: number): void {
    if (samples <= 0) return;
    this.queues[channel].push(new Int16Array(samples));
    this.queued[channel] += samples;
  }

  private drain(samples: number): Int16Array | undefined {
    if (samples <= 0) return undefined;
    const out = new Int16Array(samples * 2);
    this.take('CALLER', samples, out, 0);
    this.take('AGENT', samples, out, 1);
    return out;
  }

  /** Moves `samples` of one channel into every other slot of `out`, starting at `slot`. */
  private take(channel: Channel, samples: number, out: Int16Array, slot: number): void {
    let filled = 0;
    const queue = this.queues[channel];
    while (filled < samples) {
      const head = queue[0];
      if (!head) break;
      const n = Math.min(head.length, samples - filled);
      for (let i = 0; i < n; i++) out[(filled + i) * 2 + slot] = head[i] ?? 0;
      filled += n;
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
    }
    this.queued[channel] -= filled;
  }
}
