import type { Channel } from '../../domain/call.js';

/**
 * Pairs the two channels sample by sample. Channels arrive independently (two RTP streams), so
 * one may lag or stop (hold, single-stream SBCs); past `maxSkewSamples` the quiet side is padded
 * with silence so the file keeps both channels time-aligned.
 */
export class StereoInterleaver {
  private readonly queues: Record<Channel, Int16Array[]> = { CALLER: [], AGENT: [] };
  private readonly queued: Record<Channel, number> = { CALLER: 0, AGENT: 0 };

  constructor(private readonly maxSkewSamples: number) {}

  push(channel: Channel, pcm: Int16Array): Buffer | undefined {
    this.queues[channel].push(pcm);
    this.queued[channel] += pcm.length;
    const other: Channel = channel === 'CALLER' ? 'AGENT' : 'CALLER';
    if (this.queued[channel] - this.queued[other] > this.maxSkewSamples) {
      this.pad(other, this.queued[channel] - this.queued[other] - this.maxSkewSamples);
    }
    return this.drain(Math.min(this.queued.CALLER, this.queued.AGENT));
  }

  /** Everything left, the shorter side padded. */
  flush(): Buffer | undefined {
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

  private drain(samples: number): Buffer | undefined {
    if (samples <= 0) return undefined;
    const left = this.take('CALLER', samples);
    const right = this.take('AGENT', samples);
    const out = Buffer.alloc(samples * 4);
    for (let i = 0; i < samples; i++) {
      out.writeInt16LE(left[i] ?? 0, i * 4);
      out.writeInt16LE(right[i] ?? 0, i * 4 + 2);
    }
    return out;
  }

  private take(channel: Channel, samples: number): Int16Array {
    const out = new Int16Array(samples);
    let filled = 0;
    const queue = this.queues[channel];
    while (filled < samples) {
      const head = queue[0];
      if (!head) break;
      const n = Math.min(head.length, samples - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
    }
    this.queued[channel] -= filled;
    return out;
  }
}
