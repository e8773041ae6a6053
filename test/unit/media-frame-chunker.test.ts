import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { FrameChunker } from '../../src/media/frame-chunker.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

/** Copies each chunk as it comes: chunks are lent. */
function collecting(chunkMs: number) {
  const chunks: { pcm: number[]; sampleRateHz: number }[] = [];
  const chunker = new FrameChunker(chunkMs, (frame: AudioFrame) =>
    chunks.push({ pcm: [...frame.pcm], sampleRateHz: frame.sampleRateHz }),
  );
  return { chunker, chunks };
}

describe('FrameChunker', () => {
  it('gathers 20 ms frames into chunks of chunkMs, in order, whatever the frame size', () => {
    const { chunker, chunks } = collecting(100);
    const sent: number[] = [];
    for (let k = 0; k < 13; k++) {
      // 20 ms and 30 ms packets mixed: chunks must cut across frames.
      const frame = ramp(k * 300, k % 2 === 0 ? 160 : 240);
      sent.push(...frame);
      chunker.push({ pcm: frame, sampleRateHz: 8000 });
    }
    expect(chunks.every((c) => c.pcm.length === 800 && c.sampleRateHz === 8000)).toBe(true);
    expect(chunks).toHaveLength(Math.floor(sent.length / 800));
    chunker.flush();
    expect(chunks.at(-1)!.pcm).toHaveLength(sent.length % 800);
    expect(chunks.flatMap((c) => c.pcm)).toEqual(sent);
    chunker.flush();
    expect(chunks.flatMap((c) => c.pcm)).toHaveLength(sent.length);
  });

  it('emits what it holds at the old rate before frames of a new rate', () => {
    const { chunker, chunks } = collecting(100);
    chunker.push({ pcm: ramp(1, 160), sampleRateHz: 8000 });
    chunker.push({ pcm: ramp(1000, 320), sampleRateHz: 16_000 });
    chunker.push({ pcm: ramp(2000, 1600), sampleRateHz: 16_000 });
    expect(chunks.map((c) => [c.sampleRateHz, c.pcm.length])).toEqual([
      [8000, 160],
      [16_000, 1600],
    ]);
    expect(chunks[1]!.pcm.slice(0, 320)).toEqual([...ramp(1000, 320)]);
    chunker.flush();
    expect(chunks.at(-1)).toEqual({ sampleRateHz: 16_000, pcm: [...ramp(2000 + 1280, 320)] });
  });

  it('hands on a frame that is a whole chunk as it came, and a long frame in chunks', () => {
    const frames: AudioFrame[] = [];
    const chunker = new FrameChunker(20, (frame) => frames.push(frame));
    const packet = { pcm: ramp(5, 160), sampleRateHz: 8000 };
    chunker.push(packet);
    expect(frames[0]).toBe(packet);
    const { chunker: long, chunks } = collecting(100);
    long.push({ pcm: ramp(0, 8000), sampleRateHz: 8000 });
    expect(chunks).toHaveLength(10);
    expect(chunks[9]!.pcm).toEqual([...ramp(7200, 800)]);
  });
});
