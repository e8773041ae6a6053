import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import { FrameRateConverter, canResample, createResampler } from '../../src/media/resampler.js';
import { correlation, rms, tone } from '../support/signal.js';

function inChunks(rates: [number, number], input: Int16Array, chunk: number): Int16Array {
  const resampler = createResampler(rates[0], rates[1]);
  const parts: Int16Array[] = [];
  for (let at = 0; at < input.length; at += chunk)
    parts.push(resampler.process(input.subarray(at, at + chunk)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('resampling', () => {
  it('upsamples 8 → 16 kHz keeping a 1 kHz tone at its level and frequency', () => {
    const out = inChunks([8000, 16_000], tone(1000, 8000, 8000), 160);
    expect(out).toHaveLength(16_000);
    const settled = out.subarray(200);
    expect(rms(settled) / rms(tone(1000, 16_000, 16_000))).toBeCloseTo(1, 1);
    // Aligned to the 16 kHz tone after the filter's delay of 15.5 output samples: the half
    // sample an integer lag cannot take costs cos(2π·1000·0.5/16000) = 0.981 of correlation.
    let best = -1;
    const reference = tone(1000, 16_000, 16_000);
    for (let lag = 0; lag < 40; lag++)
      best = Math.max(
        best,
        correlation(reference.subarray(200, 15_000), out.subarray(200 + lag, 15_000 + lag)),
      );
    expect(best).toBeGreaterThan(0.98);
  });

  it('downsamples 16 → 8 kHz: speech band kept, content above the new Nyquist removed', () => {
    const passband = inChunks([16_000, 8000], tone(1000, 16_000, 16_000), 320);
    expect(passband).toHaveLength(8000);
    expect(rms(passband.subarray(100)) / rms(tone(1000, 8000, 8000))).toBeCloseTo(1, 1);
    // A 6 kHz tone would alias to 2 kHz; the low-pass takes it down by more than 40 dB.
    const aliased = inChunks([16_000, 8000], tone(6000, 16_000, 16_000), 320);
    expect(
      20 * Math.log10(rms(aliased.subarray(100)) / rms(tone(6000, 16_000, 16_000))),
    ).toBeLessThan(-40);
  });

  it('gives the same output whatever the packet sizes (state carries over)', () => {
    const input = tone(440, 16_000, 4800);
    const whole = inChunks([16_000, 8000], input, input.length);
    expect(inChunks([16_000, 8000], input, 37)).toEqual(whole);
    expect(inChunks([16_000, 8000], input, 320)).toEqual(whole);
    const up = inChunks([8000, 48_000], tone(440, 8000, 1600), 1600);
    expect(inChunks([8000, 48_000], tone(440, 8000, 1600), 33)).toEqual(up);
  });

  it('supports integer ratios only, with a stable error code otherwise', () => {
    expect(canResample(8000, 48_000)).toBe(true);
    expect(canResample(48_000, 16_000)).toBe(true);
    expect(canResample(8000, 44_100)).toBe(false);
    let caught: unknown;
    try {
      createResampler(8000, 44_100);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('AUDIO_RATE_UNSUPPORTED');
  });

  it('FrameRateConverter passes frames at its rate through untouched and converts others', () => {
    const converter = new FrameRateConverter(16_000);
    const wide = { pcm: new Int16Array(320), sampleRateHz: 16_000 };
    expect(converter.convert(wide)).toBe(wide);
    const narrow = converter.convert({ pcm: tone(500, 8000, 160), sampleRateHz: 8000 });
    expect(narrow.sampleRateHz).toBe(16_000);
    expect(narrow.pcm).toHaveLength(320);
  });
});
