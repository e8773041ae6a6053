import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { GeneratorReport, ReceiverMode, ReceiverReady, ReceiverSnapshot } from './protocol.js';

/**
 * Pending (parked) calls: N two-stream calls whose handles do not want audio, fed 20 ms RTP
 * by the SBC simulator's pacer from another process. Runs callscribe's UdpMediaSessions and a
 * bare dgram sink on the same number of ports, one after the other, and compares the CPU the
 * receiving process spends per packet.
 *
 *   npx tsx bench/pending-calls/run.ts --calls 1000 --seconds 10
 */
const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '2' },
    'port-base': { type: 'string', default: '20000' },
    generators: { type: 'string', default: '1' },
    modes: { type: 'string', default: 'callscribe,bare' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);
const portBase = Number(values['port-base']);
const generatorCount = Math.max(1, Number(values.generators));
const modes = (values.modes ?? '').split(',') as ReceiverMode[];
const here = new URL('.', import.meta.url).pathname;

interface Measurement {
  mode: ReceiverMode;
  calls: number;
  setupMs: number;
  rssPerCallKiB: number;
  rssPerCallAfterRunKiB: number;
  packetsPerSecond: number;
  cpuMicrosPerPacket: number;
  cpuPercent: number;
  sent: number;
  received: number;
  lossPercent: number;
  generatorSkipped: number;
}

function child(script: string, args: string[]): ChildProcess {
  return fork(here + script, args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T extends { type: string }>(proc: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (message.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`child exited with ${code} before '${type}'`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(mode: ReceiverMode): Promise<Measurement> {
  const receiver = child('receiver.ts', [mode, String(calls), String(portBase)]);
  const setup = await next<ReceiverReady>(receiver, 'ready');
  const generators = Array.from({ length: generatorCount }, () => child('generator.ts', []));
  await Promise.all(
    generators.map((generator, g) => {
      const ready = next<{ type: 'ready' }>(generator, 'ready');
      generator.send({
        type: 'targets',
        ports: setup.ports.filter((_, i) => i % generatorCount === g),
      });
      return ready;
    }),
  );
  for (const generator of generators) generator.send({ type: 'go' });
  await sleep(warmupSeconds * 1000);
  receiver.send({ type: 'snapshot' });
  const first = await next<ReceiverSnapshot>(receiver, 'snapshot');
  const startedMs = performance.now();
  await sleep(seconds * 1000);
  receiver.send({ type: 'snapshot' });
  const second = await next<ReceiverSnapshot>(receiver, 'snapshot');
  const elapsedS = (performance.now() - startedMs) / 1000;
  const reports = await Promise.all(
    generators.map((generator) => {
      const report = next<GeneratorReport>(generator, 'report');
      generator.send({ type: 'stop' });
      return report;
    }),
  );
  const report = {
    packetsSent: reports.reduce((n, r) => n + r.packetsSent, 0),
    packetsSkipped: reports.reduce((n, r) => n + r.packetsSkipped, 0),
  };
  await sleep(300);
  receiver.send({ type: 'snapshot' });
  const final = await next<ReceiverSnapshot>(receiver, 'snapshot');
  receiver.send({ type: 'exit' });
  await Promise.all(
    [receiver, ...generators].map(
      (p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r))),
    ),
  );

  const packets = second.packetsReceived - first.packetsReceived;
  const cpuMicros = second.cpuMicros - first.cpuMicros;
  return {
    mode,
    calls,
    setupMs: setup.setupMs,
    rssPerCallKiB: (setup.rssAfterSetupBytes - setup.rssBaselineBytes) / calls / 1024,
    rssPerCallAfterRunKiB: (second.rssBytes - setup.rssBaselineBytes) / calls / 1024,
    packetsPerSecond: packets / elapsedS,
    cpuMicrosPerPacket: packets === 0 ? NaN : cpuMicros / packets,
    cpuPercent: (cpuMicros / 1e6 / elapsedS) * 100,
    sent: report.packetsSent,
    received: final.packetsReceived,
    lossPercent:
      report.packetsSent === 0 ? NaN : (1 - final.packetsReceived / report.packetsSent) * 100,
    generatorSkipped: report.packetsSkipped,
  };
}

const results: Measurement[] = [];
for (const mode of modes) results.push(await measure(mode));

if (values.json) {
  console.log(JSON.stringify(results));
} else {
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  console.log(
    `pending calls: ${calls} two-stream calls (offered ${calls * 100} packets/s by ${generatorCount} generator processes), ${seconds} s measured after ${warmupSeconds} s warm-up`,
  );
  console.log(
    'mode        setup ms  RSS/call KiB (after run)  pkts/s    CPU µs/pkt  CPU %   loss %  gen skipped',
  );
  for (const r of results) {
    console.log(
      `${r.mode.padEnd(11)} ${fmt(r.setupMs, 0).padStart(8)}  ${fmt(r.rssPerCallKiB).padStart(6)} (${fmt(r.rssPerCallAfterRunKiB)})`.padEnd(
        47,
      ) +
        `${fmt(r.packetsPerSecond, 0).padStart(7)}  ${fmt(r.cpuMicrosPerPacket, 2).padStart(10)}  ${fmt(r.cpuPercent).padStart(5)}  ${fmt(r.lossPercent, 3).padStart(6)}  ${r.generatorSkipped}`,
    );
  }
  const a = results.find((r) => r.mode === 'callscribe');
  const b = results.find((r) => r.mode === 'bare');
  if (a && b)
    console.log(
      `CPU per packet, callscribe / bare sink: ${fmt(a.cpuMicrosPerPacket / b.cpuMicrosPerPacket, 2)}x`,
    );
}
