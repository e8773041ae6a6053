import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { AudioMixer, type MixerInput } from '../../src/media/audio-mixer.js';
import { createResampler } from '../../src/media/resampler.js';
import { tone } from '../support/signal.js';

function mixer(outputRateHz = 8000, maxWaitMs = 100) {
  const frames: AudioFrame[] = [];
  const mix = new AudioMixer({ outputRateHz, maxWaitMs, emit: (f) => frames.push(f) });
  const output = (): Int16Array => {
    const out = new Int16Array(frames.reduce((n, f) => n + f.pcm.length, 0));
    let at = 0;
    for (const f of frames) {
      expect(f.sampleRateHz).toBe(outputRateHz);
      out.set(f.pcm, at);
      at += f.pcm.length;
    }
    return out;
  };
  return { mix, frames, output };
}

const frame = (pcm: Int16Array, sampleRateHz = 8000): AudioFrame => ({ pcm, sampleRateHz });

/**
 * Makes two fresh inputs live with nothing buffered (an input joins with its first frame, and
 * the first frame of all is mixed alone): 20 ms of silence on each, then the output forgotten.
 */
function prime(frames: AudioFrame[], a: MixerInput, b: MixerInput, rateHz = 8000): void {
  const silence = () => frame(new Int16Array(rateHz / 50), rateHz);
  a.push(silence());
  b.push(silence());
  a.push(silence());
  frames.length = 0;
}
const ramp = (from: number, n: number, step = 1) =>
  Int16Array.from({ length: n }, (_, i) => from + i * step);
const chunks = (pcm: Int16Array, size: number) =>
  Array.from({ length: Math.ceil(pcm.length / size) }, (_, i) =>
    pcm.subarray(i * size, (i + 1) * size),
  );

describe('AudioMixer', () => {
  it('passes one input through unchanged, frame by frame', () => {
    const { mix, frames, output } = mixer();
    const input = mix.addInput();
    const source = tone(440, 8000, 1600);
    for (const c of chunks(source, 160)) input.push(frame(c));
    expect(frames).toHaveLength(10);
    expect(output()).toEqual(source);
  });

  it('sums two inputs sample by sample, whatever order their frames interleave in', () => {
    const { mix, frames, output } = mixer();
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    const sa = tone(300, 8000, 1600, 6000);
    const sb = tone(1100, 8000, 1600, 5000);
    const ca = chunks(sa, 160);
    const cb = chunks(sb, 160);
    // b runs two frames behind a, then catches up.
    a.push(frame(ca[0]!));
    a.push(frame(ca[1]!));
    for (let i = 0; i < 10; i++) {
      if (i + 2 < 10) a.push(frame(ca[i + 2]!));
      b.push(frame(cb[i]!));
    }
    const expected = sa.map((v, i) => v + sb[i]!);
    expect(output()).toEqual(expected);
  });

  it('clamps sums to 16 bits instead of wrapping', () => {
    const { mix, frames, output } = mixer();
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    a.push(frame(Int16Array.from([30_000, -30_000, 20_000, 100])));
    b.push(frame(Int16Array.from([10_000, -10_000, -5_000, -300])));
    expect([...output()]).toEqual([32_767, -32_768, 15_000, -200]);
  });

  it('brings inputs of another rate to the output rate (8 kHz G.711 joining 16 kHz G.722)', () => {
    const { mix, frames, output } = mixer(16_000);
    const wide = mix.addInput();
    const narrow = mix.addInput();
    wide.push(frame(new Int16Array(320), 16_000));
    narrow.push(frame(new Int16Array(160), 8000));
    wide.push(frame(new Int16Array(320), 16_000));
    frames.length = 0;
    const sw = tone(3000, 16_000, 3200, 4000);
    const sn = tone(500, 8000, 1600, 4000);
    const cw = chunks(sw, 320);
    const cn = chunks(sn, 160);
    for (let i = 0; i < 10; i++) {
      wide.push(frame(cw[i]!, 16_000));
      narrow.push(frame(cn[i]!, 8000));
    }
    const up = createResampler(8000, 16_000);
    up.process(new Int16Array(160));
    const upsampled = new Int16Array(3200);
    cn.forEach((c, i) => upsampled.set(up.process(c), i * 320));
    expect(output()).toEqual(sw.map((v, i) => v + upsampled[i]!));
  });

  it('does not hold the others back for an input that has not sent yet', () => {
    const { mix, output } = mixer();
    const a = mix.addInput();
    mix.addInput();
    a.push(frame(ramp(1, 160)));
    expect(output()).toEqual(ramp(1, 160));
  });

  it('goes on without a stalled input after maxWaitMs, which rejoins at the current point', () => {
    const { mix, frames, output } = mixer(8000, 100);
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    a.push(frame(new Int16Array(160).fill(1)));
    b.push(frame(new Int16Array(160).fill(10)));
    expect(output()).toHaveLength(160);
    // b stalls: 100 ms (800 samples) of a is held back, then let go with silence for b.
    for (let i = 0; i < 5; i++) a.push(frame(new Int16Array(160).fill(1)));
    expect(output()).toHaveLength(160);
    a.push(frame(new Int16Array(160).fill(1)));
    expect(output()).toHaveLength(160 * 7);
    // b comes back: its audio mixes with a's next frame, not with what was already let go.
    b.push(frame(new Int16Array(160).fill(10)));
    a.push(frame(new Int16Array(160).fill(1)));
    const out = output();
    expect(out).toHaveLength(160 * 8);
    expect(out[0]).toBe(11);
    expect(out.subarray(160, 160 * 7).every((v) => v === 1)).toBe(true);
    expect(out.subarray(160 * 7).every((v) => v === 11)).toBe(true);
  });

  it('an idle (held) input is not waited for, and what it delivered is still mixed', () => {
    const { mix, frames, output } = mixer();
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    b.push(frame(new Int16Array(80).fill(10)));
    a.push(frame(new Int16Array(160).fill(1)));
    expect(output()).toHaveLength(80);
    b.idle();
    a.push(frame(new Int16Array(160).fill(1)));
    const out = output();
    expect(out).toHaveLength(320);
    expect(out.subarray(0, 80).every((v) => v === 11)).toBe(true);
    expect(out.subarray(80).every((v) => v === 1)).toBe(true);
  });

  it('a removed input is dropped once drained and ignores later frames', () => {
    const { mix, frames, output } = mixer();
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    b.push(frame(new Int16Array(160).fill(10)));
    b.remove();
    b.push(frame(new Int16Array(160).fill(10)));
    a.push(frame(new Int16Array(320).fill(1)));
    const out = output();
    expect(out.subarray(0, 160).every((v) => v === 11)).toBe(true);
    expect(out.subarray(160).every((v) => v === 1)).toBe(true);
    expect(mix.inputCount).toBe(1);
  });

  it('flush emits what is left, padding the shorter inputs; reset drops it', () => {
    const { mix, frames, output } = mixer(8000, 1000);
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    a.push(frame(new Int16Array(160).fill(1)));
    a.push(frame(new Int16Array(160).fill(1)));
    b.push(frame(new Int16Array(160).fill(10)));
    expect(output()).toHaveLength(160);
    mix.flush();
    const out = output();
    expect(out).toHaveLength(320);
    expect(out.subarray(160).every((v) => v === 1)).toBe(true);
    frames.length = 0;
    a.push(frame(new Int16Array(160).fill(1)));
    b.push(frame(new Int16Array(80).fill(10)));
    mix.reset();
    mix.flush();
    expect(output().every((v) => v === 11)).toBe(true);
    expect(output()).toHaveLength(80);
  });

  it('copies what it buffers: a sender reusing its buffer does not change queued audio', () => {
    const { mix, frames, output } = mixer();
    const a = mix.addInput();
    const b = mix.addInput();
    prime(frames, a, b);
    const shared = new Int16Array(160).fill(5);
    a.push(frame(shared));
    shared.fill(7);
    a.push(frame(shared));
    b.push(frame(new Int16Array(320)));
    const out = output();
    expect(out[0]).toBe(5);
    expect(out[200]).toBe(7);
  });
});
