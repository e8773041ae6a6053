import { describe, expect, it } from 'vitest';
import { PcmFramer } from '../../src/adapters/speech/audio/pcm-framer.js';
import { PcmSlab } from '../../src/media/pcm-slab.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe('PcmSlab', () => {
  it('hands out disjoint arrays from one slab, going round instead of allocating', () => {
    const slab = new PcmSlab(64);
    const frames = Array.from({ length: 4 }, () => slab.take(16));
    frames.forEach((f, k) => f.fill(k + 1));
    // Disjoint while the slab has not gone round.
    expect(frames.map((f) => [...new Set(f)])).toEqual([[1], [2], [3], [4]]);
    // One buffer for all of them, and the fifth request reuses the first region.
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(1);
    const fifth = slab.take(16);
    expect(fifth.buffer).toBe(frames[0]!.buffer);
    expect(fifth.byteOffset).toBe(frames[0]!.byteOffset);
    expect([...new Set(fifth)]).toEqual([1]);
    // Silence when asked for it, whatever the region held.
    expect(slab.takeZeroed(16).every((s) => s === 0)).toBe(true);
    // A big request gets an array of its own.
    expect(slab.take(1000).buffer.byteLength).toBe(2000);
  });

  it('hands the same view out again for a region of the same size, a new one for another size', () => {
    const slab = new PcmSlab(64);
    const first = Array.from({ length: 4 }, () => slab.take(16));
    // Round two, same sizes: the views of round one, no new arrays.
    const second = Array.from({ length: 4 }, () => slab.take(16));
    second.forEach((view, k) => expect(view).toBe(first[k]));
    // Another size at a start that held a 16-sample view: a view of its own size.
    const odd = slab.take(7);
    expect(odd).toHaveLength(7);
    expect(odd.byteOffset).toBe(first[0]!.byteOffset);
    const next = slab.take(16);
    expect(next).toHaveLength(16);
    expect(next.byteOffset).toBe(16);
    expect(slab.takeZeroed(5)).toHaveLength(5);
    expect(slab.take(0)).toHaveLength(0);
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

  it('visits a chunk buffer handed over again through the same views, with its new audio', () => {
    const framer = new PcmFramer(10);
    const chunk = new Int16Array(30);
    const seen: Int16Array[][] = [];
    for (const from of [0, 100]) {
      chunk.set(ramp(from, 30));
      const views: Int16Array[] = [];
      framer.visit(chunk, (frame) => {
        expect([...frame]).toEqual([...ramp(from + views.length * 10, 10)]);
        views.push(frame);
        return true;
      });
      seen.push(views);
    }
    seen[1]!.forEach((view, k) => expect(view).toBe(seen[0]![k]));
    // Another array gets views of its own.
    framer.visit(ramp(500, 10), (frame) => {
      expect(seen[0]).not.toContain(frame);
      expect(frame[0]).toBe(500);
      return true;
    });
  });

  it('visit stops when told, dropping the rest', () => {
    const framer = new PcmFramer(10);
    let seen = 0;
    framer.visit(ramp(0, 55), () => ++seen < 2);
    expect(seen).toBe(2);
    expect(framer.drain()).toBeUndefined();
  });
});
