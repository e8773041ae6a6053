import { describe, expect, it } from 'vitest';
import { PcmFramer } from '../../src/adapters/speech/audio/pcm-framer.js';
import { PcmSlab } from '../../src/media/pcm-slab.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe('PcmSlab', () => {
  it('hands out zeroed, disjoint arrays that stay valid after the slab moves on', () => {
    const slab = new PcmSlab(64);
    const frames = Array.from({ length: 10 }, () => slab.take(16));
    expect(frames.every((f) => f.length === 16 && f.every((s) => s === 0))).toBe(true);
    frames.forEach((f, k) => f.fill(k + 1));
    expect(frames.map((f) => [...new Set(f)])).toEqual(frames.map((_, k) => [k + 1]));
    // Four frames per slab here: ten frames span three slabs.
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(3);
    // A big request gets an array of its own.
    expect(slab.take(1000).buffer.byteLength).toBe(2000);
  });
});

describe('PcmFramer', () => {
  it('visit gives the same frames as push, in views, and keeps the remainder', () => {
    const chunks = [ramp(0, 100), ramp(100, 160), ramp(260, 400), ramp(660, 20)];
    const pushed: number[][] = [];
    const visited: number[][] = [];
    const a = new PcmFramer(160);
    const b = new PcmFramer(160);
    for (const chunk of chunks) {
      for (const frame of a.push(chunk)) pushed.push([...frame]);
      b.visit(chunk, (frame) => {
        visited.push([...frame]);
        return true;
      });
    }
    expect(visited).toEqual(pushed);
    expect(visited).toHaveLength(4);
    expect([...(b.drain() ?? [])]).toEqual([...(a.drain() ?? [])]);
  });

  it('visit stops when told, dropping the rest', () => {
    const framer = new PcmFramer(10);
    let seen = 0;
    framer.visit(ramp(0, 55), () => ++seen < 2);
    expect(seen).toBe(2);
    expect(framer.drain()).toBeUndefined();
  });
});
