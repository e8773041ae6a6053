import { AppError } from '../../domain/errors.js';
import { canResample } from '../../media/resampler.js';
import type { SpeechEngine } from '../../ports/speech-engine.js';

/** Rates the codecs deliver: narrowband and wideband. */
const AUDIO_RATES_HZ = [8000, 16_000];

/**
 * The rate to open an engine stream at for audio of `audioRateHz`: the audio's own rate when the
 * engine takes it (no resampling), else the lowest engine rate above it (upsampling loses
 * nothing), else the highest below it. Undefined when no engine rate is reachable.
 */
export function engineRateFor(
  engineRatesHz: readonly number[],
  audioRateHz: number,
): number | undefined {
  if (engineRatesHz.includes(audioRateHz)) return audioRateHz;
  const reachable = engineRatesHz.filter((rate) => canResample(audioRateHz, rate));
  const above = reachable.filter((rate) => rate > audioRateHz).sort((a, b) => a - b);
  if (above[0] !== undefined) return above[0];
  return reachable.sort((a, b) => b - a)[0];
}

/** Fails with ENGINE_UNAVAILABLE unless both narrowband and wideband audio can reach the engine. */
export function checkEngineRates(engine: SpeechEngine): void {
  const rates = engine.capabilities.sampleRatesHz;
  if (AUDIO_RATES_HZ.some((rate) => engineRateFor(rates, rate) === undefined)) {
    throw new AppError(
      'ENGINE_UNAVAILABLE',
      'engine takes no sample rate that 8 kHz and 16 kHz audio can be resampled to',
      { details: { engine: engine.name, sampleRatesHz: rates } },
    );
  }
}

/** The stream rate for `engine` given the audio's rate; the engine passed `checkEngineRates`. */
export function streamRateHz(engine: SpeechEngine, audioRateHz: number): number {
  const rates = engine.capabilities.sampleRatesHz;
  return engineRateFor(rates, audioRateHz) ?? rates[0] ?? audioRateHz;
}
