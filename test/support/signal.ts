/** Test signals and the measures the media tests compare them with. */
export function tone(
  frequencyHz: number,
  sampleRateHz: number,
  samples: number,
  amplitude = 8000,
): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz));
  return out;
}

export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** Pearson correlation of two equally long stretches. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/**
 * The lag (decoded delayed by `lag` samples relative to the source) with the highest correlation
 * over `maxLag`, and that correlation, measured on a window of the source that carries speech.
 */
export function bestAlignment(
  source: Int16Array,
  decoded: Int16Array,
  maxLag: number,
  window: { from: number; length: number },
): { lag: number; correlation: number } {
  let best = { lag: 0, correlation: -Infinity };
  const a = source.subarray(window.from, window.from + window.length);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const start = window.from + lag;
    if (start < 0 || start + window.length > decoded.length) continue;
    const c = correlation(a, decoded.subarray(start, start + window.length));
    if (c > best.correlation) best = { lag, correlation: c };
  }
  return best;
}

/** Signal-to-noise ratio of `decoded` (shifted by `lag`) against `source`, in dB, with least-squares gain. */
export function snrDb(
  source: Int16Array,
  decoded: Int16Array,
  lag: number,
  from: number,
  length: number,
): number {
  let sd = 0;
  let dd = 0;
  for (let i = from; i < from + length; i++) {
    const s = source[i]!;
    const d = decoded[i + lag] ?? 0;
    sd += s * d;
    dd += d * d;
  }
  const gain = dd === 0 ? 0 : sd / dd;
  let signal = 0;
  let noise = 0;
  for (let i = from; i < from + length; i++) {
    const s = source[i]!;
    const e = s - gain * (decoded[i + lag] ?? 0);
    signal += s * s;
    noise += e * e;
  }
  return 10 * Math.log10(signal / Math.max(1e-9, noise));
}

/** Mean absolute level per block of `blockSamples`. */
function envelope(pcm: Int16Array, blockSamples: number): Float64Array {
  const out = new Float64Array(Math.floor(pcm.length / blockSamples));
  for (let b = 0; b < out.length; b++) {
    let sum = 0;
    for (let i = b * blockSamples; i < (b + 1) * blockSamples; i++) sum += Math.abs(pcm[i]!);
    out[b] = sum / blockSamples;
  }
  return out;
}

/**
 * Where `source` sits inside a long `decoded` recording and how well it matches there: a coarse
 * search on 10 ms level envelopes over ±`maxLagMs`, then a sample-exact search ±15 ms around it.
 */
export function locate(
  source: Int16Array,
  decoded: Int16Array,
  sampleRateHz: number,
  maxLagMs: number,
): { lag: number; correlation: number } {
  const block = sampleRateHz / 100;
  const a = envelope(source, block);
  const b = envelope(decoded, block);
  let coarse = 0;
  let best = -Infinity;
  const maxBlocks = Math.ceil(maxLagMs / 10);
  for (let lag = -maxBlocks; lag <= maxBlocks; lag++) {
    const from = Math.max(0, -lag);
    const to = Math.min(a.length, b.length - lag);
    if (to - from < a.length / 2) continue;
    const c = correlation(a.subarray(from, to), b.subarray(from + lag, to + lag));
    if (c > best) {
      best = c;
      coarse = lag;
    }
  }
  const margin = Math.ceil((15 * sampleRateHz) / 1000);
  const from = Math.max(margin, -coarse * block + margin);
  const length = Math.min(source.length, decoded.length - coarse * block) - from - 2 * margin;
  let fine = { lag: coarse * block, correlation: -Infinity };
  for (let lag = coarse * block - margin; lag <= coarse * block + margin; lag++) {
    if (from + lag < 0 || from + lag + length > decoded.length) continue;
    const c = correlation(
      source.subarray(from, from + length),
      decoded.subarray(from + lag, from + lag + length),
    );
    if (c > fine.correlation) fine = { lag, correlation: c };
  }
  return fine;
}

/** One channel (0 left, 1 right) of a 16-bit stereo WAV, and its rate. */
export function wavChannel(wav: Buffer, channel: 0 | 1): { pcm: Int16Array; sampleRateHz: number } {
  const sampleRateHz = wav.readUInt32LE(24);
  const frames = (wav.length - 44) / 4;
  const pcm = new Int16Array(frames);
  for (let i = 0; i < frames; i++) pcm[i] = wav.readInt16LE(44 + i * 4 + channel * 2);
  return { pcm, sampleRateHz };
}
