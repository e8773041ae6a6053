/**
 * Windowed-sinc (Blackman) low-pass prototype split into polyphase branches. Shared by the
 * integer up- and downsamplers so both sides of a rate change use the same filter.
 *
 * `cutoff` is relative to the rate the filter runs at (0.5 = Nyquist); `gain` scales the
 * passband (upsampling by zero-stuffing divides the level by the factor).
 */
export function designPolyphase(
  phaseCount: number,
  tapsPerPhase: number,
  cutoff: number,
  gain: number,
): Float32Array[] {
  const length = phaseCount * tapsPerPhase;
  const centre = (length - 1) / 2;
  const proto = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = i - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const blackman =
      0.42 -
      0.5 * Math.cos((2 * Math.PI * i) / (length - 1)) +
      0.08 * Math.cos((4 * Math.PI * i) / (length - 1));
    proto[i] = sinc * blackman * gain;
  }
  const phases: Float32Array[] = [];
  for (let p = 0; p < phaseCount; p++) {
    const h = new Float32Array(tapsPerPhase);
    for (let k = 0; k < tapsPerPhase; k++) h[k] = proto[k * phaseCount + p] ?? 0;
    phases.push(h);
  }
  return phases;
}

export function clampPcm16(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : Math.round(value);
}
