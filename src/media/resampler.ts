import { AppError } from '../domain/errors.js';
import type { AudioFrame } from './audio-frame.js';
import { FirDownsampler } from './fir-downsampler.js';
import { FirUpsampler } from './fir-upsampler.js';

/**
 * The one place audio changes rate. Resamplers are stateful (filter history), so one belongs to
 * one stream; all of them are pure TypeScript with no I/O, usable in worker threads.
 */
export interface Resampler {
  readonly fromRateHz: number;
  readonly toRateHz: number;
  process(input: Int16Array): Int16Array;
}

class Passthrough implements Resampler {
  constructor(
    readonly fromRateHz: number,
    readonly toRateHz: number = fromRateHz,
  ) {}
  process(input: Int16Array): Int16Array {
    return input;
  }
}

/** True when `createResampler(fromRateHz, toRateHz)` succeeds (integer ratios only). */
export function canResample(fromRateHz: number, toRateHz: number): boolean {
  if (!(fromRateHz > 0 && toRateHz > 0)) return false;
  return toRateHz % fromRateHz === 0 || fromRateHz % toRateHz === 0;
}

export function createResampler(fromRateHz: number, toRateHz: number): Resampler {
  if (!canResample(fromRateHz, toRateHz)) {
    throw new AppError('AUDIO_RATE_UNSUPPORTED', 'sample rates are not integer multiples', {
      details: { fromRateHz, toRateHz },
    });
  }
  if (fromRateHz === toRateHz) return new Passthrough(fromRateHz);
  if (toRateHz > fromRateHz) return new FirUpsampler(fromRateHz, toRateHz / fromRateHz);
  return new FirDownsampler(fromRateHz, fromRateHz / toRateHz);
}

/**
 * Brings frames of any rate to one target rate. It keeps the resampler of the current input
 * rate; when the input rate changes (a codec switch), a fresh resampler starts, since filter
 * history from another rate means nothing.
 */
export class FrameRateConverter {
  readonly targetRateHz: number;
  #resampler: Resampler | null = null;

  constructor(targetRateHz: number) {
    this.targetRateHz = targetRateHz;
  }

  convert(frame: AudioFrame): AudioFrame {
    if (frame.sampleRateHz === this.targetRateHz) {
      this.#resampler = null;
      return frame;
    }
    let resampler = this.#resampler;
    if (resampler === null || resampler.fromRateHz !== frame.sampleRateHz) {
      resampler = createResampler(frame.sampleRateHz, this.targetRateHz);
      this.#resampler = resampler;
    }
    return { pcm: resampler.process(frame.pcm), sampleRateHz: this.targetRateHz };
  }
}
