import type { ProcessSample } from './process-sample.js';

/** A named moment of the run: the samples taken in its window, averaged. */
export interface Point {
  name: string;
  samples: ProcessSample[];
}

const measures = [
  ['RSS (MiB)', 'rssMiB'],
  ['heap used (MiB)', 'heapUsedMiB'],
  ['heap committed (MiB)', 'heapTotalMiB'],
  ['external + array buffers (MiB)', 'externalMiB'],
  ['open fds', 'openFds'],
  ['RTP ports bound', 'rtpPortsInUse'],
  ['media sessions', 'mediaSessions'],
  ['live calls', 'liveCalls'],
  ['event-loop lag p99 (ms)', 'loopLagP99Ms'],
  ['SQLite files (MiB)', 'sqliteMiB'],
  ['of which WAL (MiB)', 'sqliteWalMiB'],
] as const satisfies readonly (readonly [string, keyof ProcessSample])[];

/** A markdown table: each measure at each point, and the end as a ratio to the start. */
export function summarise(points: Point[]): string[] {
  const start = points[0];
  const end = points.find((p) => p.name === 'end');
  const lines = [
    `| measure | ${points.map((p) => `${p.name} (${p.samples.length} samples)`).join(' | ')} | end / start |`,
    `| --- | ${points.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const [label, key] of measures) {
    const at = points.map((p) => mean(p.samples.map((s) => s[key])));
    const first = start ? mean(start.samples.map((s) => s[key])) : NaN;
    const last = end ? mean(end.samples.map((s) => s[key])) : NaN;
    const ratio = first === 0 ? (last === 0 ? 1 : Infinity) : last / first;
    lines.push(
      `| ${label} | ${at.map((v) => format(v)).join(' | ')} | ${Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a'} |`,
    );
  }
  return lines;
}

function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}
