/** p50/p99 of a sample in ms, rounded to 0.01 ms (nearest-rank percentiles). */
export function latencySummary(samplesMs: number[]): { n: number; p50Ms: number; p99Ms: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50Ms: round(at(50)), p99Ms: round(at(99)) };
}
