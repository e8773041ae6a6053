import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChildChannel } from './child-channel.js';
import {
  epochMs,
  type GeneratorCommand,
  type GeneratorReply,
  type PhaseResult,
  type PhaseSpec,
  type ServerCommand,
  type ServerReply,
} from './protocol.js';
import { renderReport, type ModeFigures, type PhaseFigures } from './report.js';
import { summarize } from './stats.js';

/**
 * Control-events benchmark: signed PutEvents against callscribe (real HTTP edge, SigV4, router,
 * SQLite store and event stream, parked live calls) and against a bare fastify handler, with
 * the same pre-signed requests from a generator process, one after the other in one run.
 *
 *   npx tsx bench/control-events/run.ts --calls 1000 --seconds 10 --concurrency 32
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    'paced-rates': { type: 'string', default: '200,1000' },
    'paced-calls': { type: 'string', default: '500' },
    'warmup-calls': { type: 'string', default: '300' },
    'warmup-seconds': { type: 'string', default: '2' },
    'log-level': { type: 'string', default: 'info' },
    'record-calls': { type: 'string', default: 'true' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const calls = positive(values.calls, 'calls');
const seconds = positive(values.seconds, 'seconds');
const concurrency = positive(values.concurrency, 'concurrency');
const pacedRates = values['paced-rates']
  .split(',')
  .filter((s) => s.trim() !== '')
  .map((s) => positive(s, 'paced-rates'));
const pacedCalls = positive(values['paced-calls'], 'paced-calls');
const warmupCalls = positive(values['warmup-calls'], 'warmup-calls');
const warmupSeconds = Number(values['warmup-seconds']);
const cpuProfDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
const hookPath = new URL('../../examples/hooks/park-all.mjs', import.meta.url).pathname;

function positive(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

const tag = randomBytes(3).toString('hex');
const ids = (group: string, n: number) =>
  Array.from({ length: n }, (_, i) => `ce-${tag}-${group}-${i}`);
const warmupIds = ids('warmup', warmupCalls);
const pacedIds = pacedRates.map((rate) => ids(`paced${rate}`, pacedCalls));
const burstIds = ids('burst', calls);
const allIds = [...warmupIds, ...pacedIds.flat(), ...burstIds];

const phases: (PhaseSpec & { description: string; measured: boolean })[] = [
  {
    name: 'warmup-start',
    description: 'warm-up START',
    pool: 'start',
    callIds: warmupIds,
    mode: 'once',
    concurrency,
    measured: false,
  },
  ...(warmupSeconds > 0
    ? [
        {
          name: 'warmup-restart',
          description: 'warm-up re-START',
          pool: 'start' as const,
          callIds: warmupIds,
          mode: 'cycle' as const,
          concurrency,
          seconds: warmupSeconds,
          measured: false,
        },
      ]
    : []),
  ...pacedRates.map((rate, i) => ({
    name: `paced-${rate}`,
    description: `START, paced ${rate}/s open loop (${pacedCalls} calls)`,
    pool: 'start' as const,
    callIds: pacedIds[i] ?? [],
    mode: 'paced' as const,
    ratePerSecond: rate,
    measured: true,
  })),
  {
    name: 'burst-start',
    description: `START, ${calls} parked calls, ${concurrency} in flight`,
    pool: 'start',
    callIds: burstIds,
    mode: 'once',
    concurrency,
    measured: true,
  },
  {
    name: 'steady-restart',
    description: `re-START (no-op), ${seconds} s, ${concurrency} in flight`,
    pool: 'start',
    callIds: burstIds,
    mode: 'cycle',
    concurrency,
    seconds,
    measured: true,
  },
  {
    name: 'steady-update-agent',
    description: `UPDATE_AGENT (write + event), ${seconds} s, ${concurrency} in flight`,
    pool: 'update-agent',
    mode: 'cycle',
    concurrency,
    seconds,
    measured: true,
  },
];

type Server = ChildChannel<ServerCommand, ServerReply>;
type Generator = ChildChannel<GeneratorCommand, GeneratorReply>;

/** Offset of a child's clock from ours, taken from the ping with the shortest round trip. */
async function clockOffset(
  ask: () => Promise<number>,
): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: Number.NaN, rttMs: Infinity };
  for (let i = 0; i < 20; i++) {
    const t0 = epochMs();
    const at = await ask();
    const t1 = epochMs();
    if (t1 - t0 < best.rttMs) best = { offsetMs: at - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

async function measureMode(mode: 'callscribe' | 'bare'): Promise<ModeFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), `callscribe-control-bench-${mode}-`));
  const accessKeyId = 'AKIDCONTROLBENCH';
  const secretAccessKey = randomUUID();
  // One directory per server: tsx's loader thread writes a profile of its own next to the main thread's.
  const execArgv = cpuProfDir
    ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, `${mode}-server`)}`]
    : [];
  const server: Server = new ChildChannel(
    `${mode} server`,
    new URL('./server-process.ts', import.meta.url),
    [
      mode,
      dataDir,
      values['log-level'],
      `${accessKeyId}:${secretAccessKey}`,
      hookPath,
      values['record-calls'],
    ],
    execArgv,
  );
  let generator: Generator | undefined;
  try {
    const ready = await server.ready();
    if (ready.type !== 'ready') throw new Error(`${mode} server: unexpected ${ready.type}`);
    const parked =
      mode === 'callscribe'
        ? await server.ask({ type: 'park', callIds: allIds }, 'parked')
        : { count: 0, elapsedMs: 0 };

    generator = new ChildChannel(
      `${mode} generator`,
      new URL('./generator.ts', import.meta.url),
      [],
    );
    await generator.ready();
    const prepared = await generator.ask(
      {
        type: 'prepare',
        httpPort: ready.httpPort,
        accessKeyId,
        secretAccessKey,
        region: 'us-east-1',
        startCallIds: allIds,
        updateAgentCallIds: burstIds,
        maxSockets: Math.max(concurrency, 256),
      },
      'prepared',
    );
    const gen = generator;
    const offsetServer = await clockOffset(
      async () => (await server.ask({ type: 'clock' }, 'clock')).atMs,
    );
    const offsetGenerator = await clockOffset(
      async () => (await gen.ask({ type: 'clock' }, 'clock')).atMs,
    );

    const figures: PhaseFigures[] = [];
    for (const phase of phases) {
      const cpu0 = await server.ask({ type: 'cpu' }, 'cpu');
      const { result } = await gen.ask({ type: 'run', phase }, 'result');
      const cpu1 = await server.ask({ type: 'cpu' }, 'cpu');
      const starts =
        mode === 'callscribe' && phase.pool === 'start' && phase.mode !== 'cycle'
          ? (await server.ask({ type: 'starts' }, 'starts')).atMs
          : undefined;
      figures.push(
        phaseFigures(
          phase.description,
          result,
          { userUs: cpu1.userUs - cpu0.userUs, systemUs: cpu1.systemUs - cpu0.systemUs },
          starts,
        ),
      );
      process.stderr.write(
        `${mode} ${phase.name}: ${Math.round(figures.at(-1)?.requestsPerSecond ?? 0)} req/s\n`,
      );
    }
    return {
      mode,
      parkedCalls: parked.count,
      parkMs: parked.elapsedMs,
      signedRequests: prepared.requests,
      signMs: prepared.elapsedMs,
      clockOffsetMs: offsetServer.offsetMs - offsetGenerator.offsetMs,
      clockUncertaintyMs: (offsetServer.rttMs + offsetGenerator.rttMs) / 2,
      phases: figures,
    };
  } finally {
    await generator?.stop({ type: 'stop' });
    await server.stop({ type: 'stop' });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function phaseFigures(
  description: string,
  result: PhaseResult,
  serverCpu: { userUs: number; systemUs: number },
  starts: Record<string, number> | undefined,
): PhaseFigures {
  const seconds = result.elapsedMs / 1000;
  const requests = result.completed + result.failed;
  const serverCpuUs = serverCpu.userUs + serverCpu.systemUs;
  let startEvent: PhaseFigures['startEvent'];
  if (starts) {
    const latencies: number[] = [];
    let missing = 0;
    for (const [callId, sentAt] of Object.entries(result.sentAtMs)) {
      const at = starts[callId];
      if (at === undefined) missing += 1;
      else latencies.push(at - sentAt);
    }
    startEvent = { ...summarize(latencies), missing };
  }
  return {
    name: result.name,
    description,
    completed: result.completed,
    failed: result.failed,
    firstFailure: result.firstFailure,
    requestsPerSecond: result.completed / seconds,
    elapsedMs: result.elapsedMs,
    serverCpuPercent: serverCpuUs / 10 / result.elapsedMs,
    serverCpuUsPerRequest: requests > 0 ? serverCpuUs / requests : Number.NaN,
    serverSystemCpuUsPerRequest: requests > 0 ? serverCpu.systemUs / requests : Number.NaN,
    generatorCpuPercent: (result.cpuUserUs + result.cpuSystemUs) / 10 / result.elapsedMs,
    response: summarize(result.responseMs),
    ...(startEvent ? { startEvent } : {}),
  };
}

if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
const loadBefore = loadavg()[0] ?? Number.NaN;
const callscribe = await measureMode('callscribe');
const bare = await measureMode('bare');
const machine = `${availableParallelism()} CPUs, Node ${process.version}, 1-min load average ${loadBefore.toFixed(1)} before / ${(loadavg()[0] ?? Number.NaN).toFixed(1)} after`;
const measured = phases.filter((p) => p.measured).map((p) => p.name);
if (values.json) {
  console.log(
    JSON.stringify(
      {
        machine,
        settings: {
          calls,
          seconds,
          concurrency,
          pacedRates,
          pacedCalls,
          warmupCalls,
          warmupSeconds,
          logLevel: values['log-level'],
          recordCalls: values['record-calls'],
        },
        callscribe,
        bare,
      },
      null,
      2,
    ),
  );
} else {
  console.log(`${machine}\n\n${renderReport(callscribe, bare, measured)}`);
}
const failures = [...callscribe.phases, ...bare.phases].filter((p) => p.failed > 0);
for (const phase of failures)
  console.error(`${phase.name}: ${phase.failed} failed, first: ${phase.firstFailure ?? '?'}`);
const missingStarts = callscribe.phases.filter((p) => (p.startEvent?.missing ?? 0) > 0);
for (const phase of missingStarts)
  console.error(`${phase.name}: ${phase.startEvent?.missing ?? 0} calls without a START event`);
if (failures.length > 0 || missingStarts.length > 0) process.exitCode = 1;
