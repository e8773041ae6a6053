import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SbcFleet } from '../../test/support/sbc-fleet/fleet.js';
import { ServerProcess } from '../../test/support/server-process.js';
import { openStoredCalls } from '../../test/support/stored-calls.js';
import { checkWav } from '../../test/support/wav-check.js';
import { sampleProcess, type ProcessSample } from './process-sample.js';
import { summarise, type Point } from './soak-report.js';

/**
 * Soak: many short SIPREC calls through one `callscribe serve` at a steady rate (the SBC
 * simulator in its own process, the fake engine, recordings on), sampling the node from outside
 * all along: RSS, heap, open fds, UDP ports bound in its RTP range, event-loop lag p99 and the
 * SQLite files' size with the sweeper running. Start, middle and end are averages over a window
 * after the warm-up, at the middle and before the last call; each is compared with the start.
 *
 *   npm run build && npx tsx bench/soak/run.ts --calls 10000 --rate 10 --call-ms 3000
 *   npx tsx bench/soak/run.ts --long-call-minutes 120     # one call at real pace, opt-in
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '10' },
    'call-ms': { type: 'string', default: '3000' },
    'warmup-calls': { type: 'string', default: '1000' },
    'sample-s': { type: 'string', default: '5' },
    'window-s': { type: 'string', default: '30' },
    /** Short for the soak so the sweeper works all along; the long call keeps the default day. */
    'ttl-ms': { type: 'string' },
    'sweep-ms': { type: 'string', default: '10000' },
    'rtp-base-port': { type: 'string', default: '20000' },
    'long-call-minutes': { type: 'string', default: '0' },
    /** Write a heap snapshot of the server after the warm-up and at the end (leak hunting). */
    'heap-snapshots': { type: 'string', default: '' },
    /** Diagnosis: `false` records nothing. */
    record: { type: 'string', default: 'true' },
    /** Diagnosis: park every call (no transcription, no recording). */
    park: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const totalCalls = Number(values.calls);
const ratePerS = Number(values.rate);
const callMs = Number(values['call-ms']);
const warmupCalls = Number(values['warmup-calls']);
const sampleMs = Number(values['sample-s']) * 1000;
const windowMs = Number(values['window-s']) * 1000;
const longCallMinutes = Number(values['long-call-minutes']);
const rtpFirst = Number(values['rtp-base-port']);
const rtpPortCount = 1000;
const rtpPorts = { first: rtpFirst, last: rtpFirst + rtpPortCount - 1 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const snapshotDir = values['heap-snapshots'];
const server = await ServerProcess.start({
  recordCalls: values.record !== 'false',
  ...(values.park
    ? { hook: new URL('../../examples/hooks/park-all.mjs', import.meta.url).pathname }
    : {}),
  rtpBasePort: rtpFirst,
  rtpPortCount,
  env: {
    ...(snapshotDir
      ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` }
      : {}),
    CALLSCRIBE_CALL_TTL_MS: values['ttl-ms'] ?? (longCallMinutes > 0 ? '86400000' : '60000'),
    CALLSCRIBE_SWEEP_INTERVAL_MS: values['sweep-ms'],
    CALLSCRIBE_MAX_CONCURRENT_CALLS: '5000',
  },
});
const pid = server.child.pid ?? 0;
const target = { pid, baseUrl: server.baseUrl, dataDir: server.dataDir, rtpPorts };
const fleet = SbcFleet.start({ host: '127.0.0.1', port: server.sipPort });
const samples: (ProcessSample & { placed: number })[] = [];
let errorLines = 0;
let placed = 0;
let answered = 0;
const failures: string[] = [];

/** Log lines are counted and dropped as they come, so the bench itself does not grow. */
function drainLogs(): void {
  for (const line of server.logs.splice(0)) if (line.level >= 50) errorLines++;
}

async function sample(): Promise<ProcessSample> {
  drainLogs();
  const s = { ...(await sampleProcess(target)), placed };
  samples.push(s);
  if (!values.json)
    console.log(
      `${new Date(s.atMs).toISOString()} placed=${placed} answered=${answered} live=${s.liveCalls} ` +
        `rss=${s.rssMiB.toFixed(1)}MiB heap=${s.heapUsedMiB.toFixed(1)}/${s.heapTotalMiB.toFixed(1)}MiB ` +
        `external=${s.externalMiB.toFixed(1)}MiB fds=${s.openFds} ` +
        `rtpPorts=${s.rtpPortsInUse} lagP99=${s.loopLagP99Ms.toFixed(1)}ms sqlite=${s.sqliteMiB.toFixed(2)}MiB`,
    );
  return s;
}

/** The operator's retention job, sped up: finished recordings are checked and removed. */
function pruneRecordings(): number {
  const dir = join(server.dataDir, 'recordings');
  let checked = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.wav')) continue;
    checkWav(join(dir, name));
    rmSync(join(dir, name));
    checked++;
  }
  return checked;
}

const point = (name: string, fromMs: number, toMs: number): Point => ({
  name,
  samples: samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs),
});

try {
  if (longCallMinutes > 0) await longCall();
  else await soak();
} finally {
  await fleet.kill();
  await server.stop();
}

async function soak(): Promise<void> {
  let recordingsChecked = 0;
  const sampler = setInterval(() => {
    void sample().catch((error: unknown) => failures.push(`sample: ${String(error)}`));
    recordingsChecked += pruneRecordings();
  }, sampleMs);
  const intervalMs = 1000 / ratePerS;
  const startedMs = Date.now();
  let warmedUpMs = startedMs;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < totalCalls; i++) {
    await sleep(startedMs + i * intervalMs - Date.now());
    if (i === warmupCalls) {
      warmedUpMs = Date.now();
      if (snapshotDir) server.child.kill('SIGUSR2');
    }
    const callId = `soak-${i}`;
    placed++;
    const call = fleet
      .place(callId, { durationMs: callMs, answerTimeoutMs: 30_000 })
      .then(() => void answered++)
      .catch((error: unknown) => void failures.push(`${callId}: ${String(error)}`))
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
  const lastPlacedMs = Date.now();
  await Promise.all(inFlight);
  // Every call ends (BYE after call-ms), then one more sweep: the idle level.
  const drainDeadline = Date.now() + callMs + 60_000;
  while ((await sample()).liveCalls > 0 && Date.now() < drainDeadline) await sleep(1000);
  await sleep(Number(values['sweep-ms']) + sampleMs);
  const idle = await sample();
  clearInterval(sampler);
  if (snapshotDir) {
    server.child.kill('SIGUSR2');
    await sleep(15_000);
  }
  recordingsChecked += pruneRecordings();
  drainLogs();

  const middleMs = (warmedUpMs + lastPlacedMs) / 2;
  const report = summarise([
    point('start', warmedUpMs, warmedUpMs + windowMs),
    point('middle', middleMs - windowMs / 2, middleMs + windowMs / 2),
    point('end', lastPlacedMs - windowMs, lastPlacedMs),
    { name: 'idle', samples: [idle] },
  ]);
  const summary = {
    calls: totalCalls,
    answered,
    failed: failures.length,
    ratePerS,
    callMs,
    warmupCalls,
    placedInS: (lastPlacedMs - startedMs) / 1000,
    recordingsChecked,
    errorLogLines: errorLines,
    report,
  };
  print(summary, failures);
}

async function longCall(): Promise<void> {
  const durationMs = longCallMinutes * 60_000;
  const startedMs = Date.now();
  await fleet.place('long-call', { durationMs, answerTimeoutMs: 30_000 });
  const sampler = setInterval(() => void sample().catch(() => undefined), 60_000);
  await sample();
  while (fleet.calls.get('long-call')?.type === 'answered') await sleep(1000);
  const stored = openStoredCalls({ kind: 'sqlite', dataDir: server.dataDir });
  try {
    const deadline = Date.now() + 60_000;
    while ((await stored.store.get('long-call'))?.call.state !== 'ENDED') {
      if (Date.now() > deadline) throw new Error('the long call did not end');
      await sleep(500);
    }
    const types = (await stored.eventStream.read({ callId: 'long-call' })).map(
      (e) => e.event.EventType,
    );
    const wav = checkWav(join(server.dataDir, 'recordings', 'long-call.wav'));
    clearInterval(sampler);
    const endedMs = Date.now();
    const report = summarise([
      point('start', startedMs + 60_000, startedMs + 60_000 + windowMs * 4),
      point(
        'middle',
        startedMs + durationMs / 2 - windowMs * 2,
        startedMs + durationMs / 2 + windowMs * 2,
      ),
      point('end', endedMs - windowMs * 4 - 60_000, endedMs),
    ]);
    print(
      {
        longCallMinutes,
        recordingMinutes: wav.durationMs / 60_000,
        ends: types.filter((t) => t === 'END').length,
        finalSegments: types.filter((t) => t === 'ADD_TRANSCRIPT_SEGMENT').length,
        errorLogLines: errorLines,
        report,
      },
      failures,
    );
  } finally {
    await stored.close();
  }
}

function print(summary: Record<string, unknown> & { report: string[] }, problems: string[]): void {
  if (values.json) {
    console.log(JSON.stringify({ ...summary, samples, failures: problems }, null, 2));
    return;
  }
  const { report, ...rest } = summary;
  console.log(`\n${JSON.stringify(rest)}`);
  for (const line of report) console.log(line);
  for (const problem of problems.slice(0, 20)) console.log(`failure: ${problem}`);
}
