import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * Recording off the hot path: N two-leg calls at 50 frames/s per leg into the crash-safe
 * batched WAV writer (`batched`, one per `recordingFlushMs` value), against writing each packet
 * pair's audio at once (`per-packet`, the design the issue profiled) and against generating the
 * frames without recording (`none`, the harness's own cost), each in a child process of its own.
 *
 * Counts the file writes twice: inside the process (calls to FileHandle write/writev, and the
 * longest gap between two writes of one file, the batching bound) and, with `--strace`, as
 * pwrite64/pwritev system calls under `strace -f -c` (a second run of each mode, CPU not used).
 *
 *   npx tsx bench/recording/run.ts --calls 250,500 --seconds 5 --flush-ms 1000,100 --strace
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '250,500' },
    seconds: { type: 'string', default: '5' },
    'flush-ms': { type: 'string', default: '1000,100' },
    strace: { type: 'boolean', default: false },
  },
});
const callCounts = (values.calls ?? '').split(',').map(Number);
const seconds = Number(values.seconds);
const flushValues = (values['flush-ms'] ?? '').split(',').map(Number);
const child = new URL('./child.ts', import.meta.url).pathname;

interface Result {
  mode: string;
  calls: number;
  flushMs: number;
  packets: number;
  packetsPerSecond: number;
  fileWrites: number;
  writesPerPacket: number;
  longestGapMs: number;
  processCpuMicrosPerPacket: number;
  mainThreadCpuMicrosPerPacket: number;
  syscallWritesPerPacket?: number;
}

function runChild(args: string[]): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', child, ...args], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Result;
}

/** pwrite64 + pwritev(2) calls of the whole process, counted by strace, per packet sent. */
function syscallWrites(args: string[], packetsPerSecond: number): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-bench-strace-'));
  const summary = join(dir, 'summary.txt');
  const run = spawnSync(
    'strace',
    [
      '-f',
      '-c',
      '-o',
      summary,
      '-e',
      'trace=pwrite64,pwritev,pwritev2',
      process.execPath,
      '--import',
      'tsx',
      child,
      ...args,
    ],
    { encoding: 'utf8' },
  );
  try {
    if (run.status !== 0) return undefined;
    let calls = 0;
    for (const line of readFileSync(summary, 'utf8').split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(pwrite64|pwritev2?)$/.exec(line);
      if (m) calls += Number(m[1]);
    }
    // The whole run: 1.5 s warm-up plus the measured seconds, plus the final flush at close.
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Result;
    const allPackets = result.packets + packetsPerSecond * 1.5;
    return calls / allPackets;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const straceAvailable =
  values.strace === true && spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;
if (values.strace && !straceAvailable)
  console.warn('SKIPPED: strace not found; syscalls not counted');

const load0 = loadavg();
const results: Result[] = [];
for (const calls of callCounts) {
  const runs: [string, number][] = [
    ['none', 0],
    ['per-packet', 0],
    ...flushValues.map((ms): [string, number] => ['batched', ms]),
  ];
  for (const [mode, flushMs] of runs) {
    const args = [mode, String(calls), String(seconds), String(flushMs || 1000)];
    const result = runChild(args);
    if (straceAvailable && mode !== 'none')
      result.syscallWritesPerPacket = syscallWrites(args, result.packetsPerSecond);
    results.push(result);
    console.error(`${mode} ${calls} calls${flushMs ? ` flush ${flushMs} ms` : ''}: done`);
  }
}
const load1 = loadavg();

const fmt = (n: number | undefined, digits = 2) =>
  n === undefined || !Number.isFinite(n)
    ? '—'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits });
console.log(
  `\n${cpus().length} cores, Node ${process.version}, ${seconds} s measured after 1.5 s; 1-min load average ${fmt(load0[0])} → ${fmt(load1[0])}\n`,
);
console.log(
  '| calls | mode | recordingFlushMs | packets/s | file writes per packet | pwrite syscalls per packet (strace) | longest gap between writes of a file, ms | main-thread CPU µs/packet | process CPU µs/packet (all threads) | main-thread above `none` vs per-packet |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const none = results.find((x) => x.calls === r.calls && x.mode === 'none');
  const perPacket = results.find((x) => x.calls === r.calls && x.mode === 'per-packet');
  const above = (x: Result | undefined) =>
    x === undefined || none === undefined
      ? NaN
      : x.mainThreadCpuMicrosPerPacket - none.mainThreadCpuMicrosPerPacket;
  const ratio = r.mode === 'batched' ? `${fmt(above(r) / above(perPacket))}x` : '';
  console.log(
    `| ${r.calls} | ${r.mode} | ${r.mode === 'batched' ? r.flushMs : '—'} | ${fmt(r.packetsPerSecond, 0)} | ${fmt(r.writesPerPacket, 4)} | ${fmt(r.syscallWritesPerPacket, 4)} | ${r.mode === 'none' ? '—' : fmt(r.longestGapMs, 0)} | ${fmt(r.mainThreadCpuMicrosPerPacket)} | ${fmt(r.processCpuMicrosPerPacket)} | ${ratio} |`,
  );
}
