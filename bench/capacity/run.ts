import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchedSendSupported } from './batched-udp-sender.js';
import { Child } from './child.js';
import { median } from './median.js';
import { expectedSegmentsPerCallSecond } from './expected-segments.js';
import type {
  GeneratorCommand,
  GeneratorCounters,
  GeneratorReply,
  ServerCommand,
  ServerMode,
  ServerReply,
} from './protocol.js';

/**
 * Capacity: N two-leg SIPREC calls over real SIP/UDP with G.711 RTP on both legs (100 packets/s
 * per call), the fake engine and recording on, against a parked run of the same N in the same
 * run as the baseline; with one and with two load-generator processes.
 *
 *   npx tsx bench/capacity/run.ts --calls 250,500,750,1000,1500 --generators 1,2
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '250,500,750,1000,1500' },
    generators: { type: 'string', default: '1,2' },
    modes: { type: 'string', default: 'parked,processed' },
    seconds: { type: 'string', default: '15' },
    'warmup-seconds': { type: 'string', default: '5' },
    'invite-rate': { type: 'string', default: '100' },
    'media-workers': { type: 'string', default: '' },
    'port-base': { type: 'string', default: '30000' },
    /** Appends the servers' logs to this file (they are dropped otherwise). */
    'server-log': { type: 'string', default: '' },
    /** `off` measures processed calls without their WAV recordings (the default records). */
    recording: { type: 'string', default: 'on' },
    /**
     * Each N is measured this many times, the modes alternating (parked, processed, parked, ...);
     * a summary gives the median µs/packet of each mode and their ratio. On a shared VM a mode's
     * figure moves by ±15 % between runs minutes apart, so one round's ratio says little.
     */
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    /**
     * Extra Node.js flags for the server process, space-separated: `--perf-basic-prof` lets
     * `perf record -p <pid>` name JavaScript frames (docs/benchmarks.md, "Profiling").
     */
    'server-node-args': { type: 'string', default: '' },
    /**
     * How the generators send RTP: `sendmmsg` (one system call per pacing pass; Linux) or
     * `dgram` (one Node.js send per packet, from each stream's own socket: about twice the
     * generator's CPU per packet, taken from the server on a shared box).
     */
    sender: { type: 'string', default: batchedSendSupported() ? 'sendmmsg' : 'dgram' },
  },
});
const list = (raw: string) => raw.split(',').filter((s) => s.trim() !== '');
const callCounts = list(values.calls).map(Number);
const generatorCounts = list(values.generators).map(Number);
const modes = list(values.modes) as ServerMode[];
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);
const inviteRate = Number(values['invite-rate']);
const portBase = Number(values['port-base']);
const serverNodeArgs = values['server-node-args'].split(' ').filter((a) => a !== '');
const rounds = Math.max(1, Math.trunc(Number(values.rounds)));
const here = new URL('.', import.meta.url);
const hookPath = new URL('../../examples/hooks/park-all.mjs', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Server = Child<ServerCommand, ServerReply>;
type Generator = Child<GeneratorCommand, GeneratorReply>;

export interface Figures {
  calls: number;
  /** Which of `--rounds` this is (1-based). */
  round: number;
  mode: ServerMode;
  generators: number;
  mediaWorkers: number;
  loadAverage: [number, number, number];
  established: number;
  failedSetups: number;
  firstFailure: string | null;
  inviteSetupP50Ms: number;
  inviteSetupP99Ms: number;
  reachedState: number;
  receivedPerSecond: number;
  /** Packets the generators sent per second in the measured window. */
  offeredPerSecond: number;
  cpuPercentOfCore: number;
  cpuMicrosPerPacket: number;
  threadCpuPercent: Record<string, number>;
  rssPerCallKiB: number;
  lagP99Ms: Record<string, number>;
  sent: number;
  received: number;
  lossPercent: number;
  generatorSkipped: number;
  /** The generators' CPU (all of them) in the measured window, and per packet they sent. */
  generatorCpuPercentOfCore: number;
  generatorMicrosPerPacket: number;
  kernelRcvbufErrors: number;
  admissionRefused: number;
  segmentsPerSecond: number;
  expectedSegmentsPerSecond: number;
  stopMs: number;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function counters(generators: Generator[], type: 'counters' | 'stop-media') {
  const replies = await Promise.all(
    generators.map((g) => g.ask({ type } as GeneratorCommand, 'counters')),
  );
  return replies.reduce(
    (sum: Omit<GeneratorCounters, 'type'>, r) => ({
      sent: sum.sent + r.sent,
      skipped: sum.skipped + r.skipped,
      cpuUs: sum.cpuUs + r.cpuUs,
    }),
    { sent: 0, skipped: 0, cpuUs: 0 },
  );
}

async function measure(
  calls: number,
  mode: ServerMode,
  generatorCount: number,
  perCallSegmentRate: number,
): Promise<Omit<Figures, 'round'>> {
  const dataDir = mkdtempSync(join(tmpdir(), `callscribe-capacity-${mode}-`));
  // Four ports per call (two streams, RTP and RTCP), with room for the cursor to move on.
  const rtpMax = portBase + Math.max(4 * calls * 2, 400) - 1;
  const server: Server = new Child(
    new URL('server.ts', here),
    [
      mode,
      dataDir,
      String(portBase),
      String(rtpMax),
      values['media-workers'],
      hookPath,
      values['server-log'],
      values.recording,
    ],
    serverNodeArgs,
  );
  if (serverNodeArgs.length > 0) console.error(`N=${calls} ${mode}: server pid ${server.proc.pid}`);
  const generators: Generator[] = [];
  try {
    const ready = await server.next('ready');
    // The node's own start (module loading in the workers, first JIT) is not the load under test.
    await sleep(4000);
    const before = await server.ask({ type: 'sample' }, 'sample');
    for (let g = 0; g < generatorCount; g++)
      generators.push(new Child(new URL('generator.ts', here), [`--sender=${values.sender}`]));
    await Promise.all(generators.map((g) => g.next('ready')));
    const tag = `${mode}-${calls}-${Date.now()}`;
    const callIds = Array.from({ length: calls }, (_, i) => `cap-${tag}-${i}`);
    const placed = await Promise.all(
      generators.map((g, index) =>
        g.ask(
          {
            type: 'place',
            sipPort: ready.sipPort,
            callIds: callIds.filter((_, i) => i % generatorCount === index),
            ratePerSecond: inviteRate / generatorCount,
          },
          'placed',
        ),
      ),
    );
    await sleep(warmupSeconds * 1000);
    const s0 = await server.ask({ type: 'sample' }, 'sample');
    const c0 = await counters(generators, 'counters');
    await sleep(seconds * 1000);
    const s1 = await server.ask({ type: 'sample' }, 'sample');
    const c1 = await counters(generators, 'counters');
    const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100) as Figures['loadAverage'];
    const sentTotal = await counters(generators, 'stop-media');
    // Workers report packet counts every second: wait for the last packets to be counted.
    await sleep(2500);
    const s2 = await server.ask({ type: 'sample' }, 'sample');
    await Promise.all(generators.map((g) => g.ask({ type: 'hangup' }, 'hung-up')));
    const stopped = await server.ask({ type: 'stop' }, 'stopped');
    // The server exits by itself once stopped; waiting lets it write what its Node flags ask for
    // (a `--cpu-prof` profile is written at exit, never on a kill).
    await Promise.race([server.exited(), sleep(10_000)]);

    const windowS = (s1.atMs - s0.atMs) / 1000;
    const packets = s1.rtpPackets - s0.rtpPackets;
    const cpuUs = s1.cpuUs - s0.cpuUs;
    const threadCpuPercent: Record<string, number> = {};
    for (const t of s1.threads) {
      const start = s0.threads.find((x) => x.thread === t.thread)?.cpuMs ?? 0;
      threadCpuPercent[t.thread] = round(((t.cpuMs - start) / 1000 / windowS) * 100, 1);
    }
    const setupMs = placed.flatMap((p) => p.setupMs);
    const reached = s1.callsByState[mode === 'parked' ? 'PENDING' : 'PROCESSING'] ?? 0;
    const figures: Omit<Figures, 'round'> = {
      calls,
      mode,
      generators: generatorCount,
      mediaWorkers: ready.mediaWorkers,
      loadAverage,
      established: placed.reduce((sum, p) => sum + p.established, 0),
      failedSetups: placed.reduce((sum, p) => sum + p.failed, 0),
      firstFailure: placed.find((p) => p.firstFailure !== null)?.firstFailure ?? null,
      inviteSetupP50Ms: round(percentile(setupMs, 50), 1),
      inviteSetupP99Ms: round(percentile(setupMs, 99), 1),
      reachedState: reached,
      receivedPerSecond: Math.round(packets / windowS),
      cpuPercentOfCore: round((cpuUs / 1000 / (windowS * 1000)) * 100, 1),
      cpuMicrosPerPacket: round(packets > 0 ? cpuUs / packets : 0, 2),
      threadCpuPercent,
      rssPerCallKiB: round((s1.rssBytes - before.rssBytes) / 1024 / calls, 1),
      lagP99Ms: Object.fromEntries(Object.entries(s1.lagP99Ms).map(([k, v]) => [k, round(v, 1)])),
      sent: sentTotal.sent,
      received: s2.rtpPackets,
      lossPercent: round(Math.max(0, 1 - s2.rtpPackets / Math.max(1, sentTotal.sent)) * 100, 3),
      generatorSkipped: sentTotal.skipped,
      generatorCpuPercentOfCore: round(((c1.cpuUs - c0.cpuUs) / 1000 / (windowS * 1000)) * 100, 1),
      generatorMicrosPerPacket: round((c1.cpuUs - c0.cpuUs) / Math.max(1, c1.sent - c0.sent), 2),
      kernelRcvbufErrors: s2.kernelRcvbufErrors - before.kernelRcvbufErrors,
      admissionRefused: s2.admissionRefused,
      segmentsPerSecond: round((s1.segments - s0.segments) / windowS, 1),
      expectedSegmentsPerSecond: mode === 'parked' ? 0 : round(perCallSegmentRate * calls, 1),
      stopMs: Math.round(stopped.stopMs),
      offeredPerSecond: Math.round((c1.sent - c0.sent) / windowS),
    };
    return figures;
  } finally {
    for (const g of generators) g.proc.kill();
    server.proc.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const perCallSegmentRate = await expectedSegmentsPerCallSecond();
console.log(
  `machine: ${availableParallelism()} cores, Node ${process.version}; expected segment events per call: ${perCallSegmentRate.toFixed(3)}/s`,
);
interface Summary {
  calls: number;
  generators: number;
  rounds: number;
  /** Median µs/packet per mode over the rounds, with the lowest and highest. */
  microsPerPacket: Partial<Record<ServerMode, { median: number; min: number; max: number }>>;
  /** Median processed ÷ median parked. */
  ratioOfMedians: number | null;
}

const results: Figures[] = [];
const summaries: Summary[] = [];
for (const generatorCount of generatorCounts) {
  for (const calls of callCounts) {
    const runs: Figures[] = [];
    for (let r = 1; r <= rounds; r++) {
      const byMode: Partial<Record<ServerMode, Figures>> = {};
      for (const mode of modes) {
        const figures = {
          ...(await measure(calls, mode, generatorCount, perCallSegmentRate)),
          round: r,
        };
        byMode[mode] = figures;
        runs.push(figures);
        if (!values.json) printRow(figures, byMode.parked);
      }
    }
    results.push(...runs);
    if (rounds > 1) {
      const summary = summarize(calls, generatorCount, runs);
      summaries.push(summary);
      if (!values.json) printSummary(summary);
    }
  }
}
if (values.json)
  console.log(JSON.stringify(rounds > 1 ? { results, summaries } : results, null, 2));

function summarize(calls: number, generators: number, runs: Figures[]): Summary {
  const microsPerPacket: Summary['microsPerPacket'] = {};
  for (const mode of modes) {
    const values = runs.filter((f) => f.mode === mode).map((f) => f.cpuMicrosPerPacket);
    if (values.length === 0) continue;
    microsPerPacket[mode] = {
      median: round(median(values), 2),
      min: Math.min(...values),
      max: Math.max(...values),
    };
  }
  const parked = microsPerPacket.parked?.median;
  const processed = microsPerPacket.processed?.median;
  return {
    calls,
    generators,
    rounds,
    microsPerPacket,
    ratioOfMedians:
      parked !== undefined && processed !== undefined && parked > 0
        ? round(processed / parked, 2)
        : null,
  };
}

function printSummary(s: Summary): void {
  const modeText = Object.entries(s.microsPerPacket)
    .map(([mode, m]) => `${mode} ${m.median} (${m.min}–${m.max})`)
    .join(', ');
  const ratio =
    s.ratioOfMedians === null ? '' : `; ratio of medians ${s.ratioOfMedians.toFixed(2)}x`;
  console.log(
    `N=${s.calls} gen=${s.generators} over ${s.rounds} rounds: median µs/packet ${modeText}${ratio}`,
  );
}

function printRow(f: Figures, parked: Figures | undefined): void {
  const ratio =
    f.mode === 'processed' && parked && parked.cpuMicrosPerPacket > 0
      ? ` ratio processed/parked ${(f.cpuMicrosPerPacket / parked.cpuMicrosPerPacket).toFixed(2)}x`
      : '';
  const threads = Object.entries(f.threadCpuPercent)
    .map(([t, p]) => `${t} ${p}%`)
    .join(', ');
  const lag = Object.entries(f.lagP99Ms)
    .map(([t, ms]) => `${t} ${ms}`)
    .join(', ');
  console.log(
    [
      `N=${f.calls} ${f.mode} gen=${f.generators} workers=${f.mediaWorkers} load=${f.loadAverage.join('/')}`,
      `  calls: ${f.established} set up (${f.failedSetups} failed${f.firstFailure ? `: ${f.firstFailure}` : ''}), ${f.reachedState} ${f.mode === 'parked' ? 'PENDING' : 'PROCESSING'}, INVITE setup p50 ${f.inviteSetupP50Ms} ms p99 ${f.inviteSetupP99Ms} ms, 503s ${f.admissionRefused}`,
      `  rtp: ${f.offeredPerSecond} pkt/s offered, ${f.receivedPerSecond} received, loss ${f.lossPercent}% (${f.sent - f.received} of ${f.sent}), generator skipped ${f.generatorSkipped} (its CPU ${f.generatorCpuPercentOfCore}% of a core, ${f.generatorMicrosPerPacket} µs/packet), kernel rcvbuf drops (machine) ${f.kernelRcvbufErrors}`,
      `  cpu: ${f.cpuPercentOfCore}% of a core (all threads), ${f.cpuMicrosPerPacket} µs/packet${ratio}; per thread: ${threads}`,
      `  rss/call ${f.rssPerCallKiB} KiB; lag p99 ms: ${lag}; segments ${f.segmentsPerSecond}/s (expected ${f.expectedSegmentsPerSecond}/s); stop ${f.stopMs} ms`,
    ].join('\n'),
  );
}
