import { AppError } from '../../domain/errors.js';
import type { SpeechEngine } from '../../ports/speech-engine.js';

const INPUT_RATE_HZ = 8000;

/** The rate audio is sent to an engine at: its first supported rate, a multiple of 8 kHz. */
export function engineRateHz(engine: SpeechEngine): number {
  const rate = engine.capabilities.sampleRatesHz[0];
  if (rate === undefined || rate % INPUT_RATE_HZ !== 0) {
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      'engine needs a sample rate that is a multiple of 8 kHz',
      {
        details: { engine: engine.name, sampleRatesHz: engine.capabilities.sampleRatesHz },
      },
    );
  }
  return rate;
}
