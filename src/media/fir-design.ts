/** One polyphase branch with its zero coefficients left out. */
export interface SparseTaps {
  /** Delay of each tap, in input samples (0 = the newest). */
  readonly delays: Int32Array;
  readonly coefficients: Float64Array;
}

/**
 * Windowed-sinc (Blackman) low-pass prototype split into polyphase branches. Shared by the
 * integer up- and downsamplers so both sides of a rate change use the same filter.
 *
 * The prototype has an odd length (`phaseCount × tapsPerPhase − 1`), so it is centred on a
 * sample: for a factor of 2 that makes it a half-band filter whose every other coefficient is
 * exactly zero, and the zeros are dropped, halving the work of the common 8 ↔ 16 kHz case.
 *
 * `cutoff` is relative to the rate the filter runs at (0.5 = Nyquist); `gain` scales the
 * passband (upsampling by zero-stuffing divides the level by the factor).
 */
export function designPolyphase(
  phaseCount: number,
  tapsPerPhase: number,
  cutoff: number,
  gain: number,
): SparseTaps[] {
  const length = phaseCount * tapsPerPhase - 1;
  const centre = (length - 1) / 2;
  const proto = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = i - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const blackman =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * (i + 1)) / (length + 1)) +
      0.08 * Math.cos((4 * Math.PI * (i + 1)) / (length + 1));
    proto[i] = sinc * blackman * gain;
  }
  const phases: SparseTaps[] = [];
  for (let p = 0; p < phaseCount; p++) {
    const delays: number[] = [];
    const coefficients: number[] = [];
    for (let k = 0; k * phaseCount + p < length; k++) {
      const c = proto[k * phaseCount + p]!;
      // sin(π·n/2) of a half-band filter is 0 only up to rounding: treat that as zero.
      if (Math.abs(c) < 1e-12) continue;
      delays.push(k);
      coefficients.push(c);
    }
    phases.push({ delays: Int32Array.from(delays), coefficients: Float64Array.from(coefficients) });
  }
  return phases;
}

export function clampPcm16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
}
