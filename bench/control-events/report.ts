import type { LatencySummary } from './stats.js';

export interface PhaseFigures {
  name: string;
  description: string;
  completed: number;
  failed: number;
  firstFailure: string | null;
  requestsPerSecond: number;
  elapsedMs: number;
  serverCpuPercent: number;
  serverCpuUsPerRequest: number;
  /** The kernel's part of serverCpuUsPerRequest (socket and file writes, SQLite's WAL). */
  serverSystemCpuUsPerRequest: number;
  generatorCpuPercent: number;
  response: LatencySummary;
  /** callscribe START phases: request sent → START event seen by an event-stream subscriber. */
  startEvent?: LatencySummary & { missing: number };
}

export interface ModeFigures {
  mode: 'callscribe' | 'bare';
  parkedCalls: number;
  parkMs: number;
  signedRequests: number;
  signMs: number;
  /** Server clock minus generator clock, and half the best IPC round trip it was measured with. */
  clockOffsetMs: number;
  clockUncertaintyMs: number;
  phases: PhaseFigures[];
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '-');
const int = (x: number): string =>
  Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-';
const latency = (s: LatencySummary | undefined): string =>
  s ? `${ms(s.p50Ms)} / ${ms(s.p99Ms)} / ${ms(s.maxMs)}` : '-';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

/** The two tables the benchmark prints: throughput with the callscribe/bare ratio, and latency. */
export function renderReport(
  callscribe: ModeFigures,
  bare: ModeFigures,
  measured: readonly string[],
): string {
  const pairs = measured.map((name) => ({
    cs: callscribe.phases.find((p) => p.name === name),
    bare: bare.phases.find((p) => p.name === name),
  }));
  const throughput = table(
    [
      'phase',
      'callscribe req/s',
      'bare req/s',
      'ratio cs/bare',
      'cs server CPU µs/req (sys)',
      'server CPU % cs / bare',
      'generator CPU % cs / bare',
      'failed cs / bare',
    ],
    pairs.map(({ cs, bare: b }) => [
      cs?.description ?? '?',
      int(cs?.requestsPerSecond ?? Number.NaN),
      int(b?.requestsPerSecond ?? Number.NaN),
      cs && b ? `${(cs.requestsPerSecond / b.requestsPerSecond).toFixed(2)}x` : '-',
      `${int(cs?.serverCpuUsPerRequest ?? Number.NaN)} (${int(cs?.serverSystemCpuUsPerRequest ?? Number.NaN)})`,
      `${int(cs?.serverCpuPercent ?? Number.NaN)} / ${int(b?.serverCpuPercent ?? Number.NaN)}`,
      `${int(cs?.generatorCpuPercent ?? Number.NaN)} / ${int(b?.generatorCpuPercent ?? Number.NaN)}`,
      `${cs?.failed ?? '-'} / ${b?.failed ?? '-'}`,
    ]),
  );
  const latencies = table(
    [
      'phase',
      'cs START event p50 / p99 / max ms',
      'cs HTTP response p50 / p99 / max ms',
      'bare HTTP response p50 / p99 / max ms',
    ],
    pairs.map(({ cs, bare: b }) => [
      cs?.description ?? '?',
      cs?.startEvent
        ? `${latency(cs.startEvent)}${cs.startEvent.missing > 0 ? ` (${cs.startEvent.missing} missing)` : ''}`
        : 'n/a',
      latency(cs?.response),
      latency(b?.response),
    ]),
  );
  const notes = [
    `parked calls: ${int(callscribe.parkedCalls)} (set up in ${int(callscribe.parkMs)} ms through CallService.sessionStarted)`,
    `pre-signed requests per generator: ${int(callscribe.signedRequests)} (${int(callscribe.signMs)} ms, before any phase)`,
    `clock offset server − generator: callscribe run ${ms(callscribe.clockOffsetMs)} ms (±${ms(callscribe.clockUncertaintyMs)}), bare run ${ms(bare.clockOffsetMs)} ms (±${ms(bare.clockUncertaintyMs)}); START latencies are not corrected for it`,
  ];
  return [throughput, '', latencies, '', ...notes].join('\n');
}
