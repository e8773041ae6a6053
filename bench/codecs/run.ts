/**
 * Codec benchmark: `npx tsx bench/codecs/run.ts`
 * Options: --calls 100  --seconds 10  --warmup-seconds 3  --codecs PCMU,G722,G729,opus
 *          --micro-rounds 5  --port-base 21000  --parts micro,calls  --cpu-prof DIR  --json
 * where the receiver's time goes: npx tsx bench/control-events/profile-summary.ts DIR/<codec>/<file>.cpuprofile
 *
 * (a) micro: CPU per packet of callscribe's receive path (RTP parse, reorder, decode, resample to
 *     the stream rate) on the whole sample call encoded by outside encoders, in this process,
 *     codecs interleaved round by round; the median round, and the ratio to G.711 µ-law.
 * (b) calls: N PROCESSING two-leg calls on the real composition root (fake engine) in a child
 *     process, fed 20 ms RTP of one codec by the SBC simulator's pacer from another; CPU of the
 *     receiving process per packet, per call, and calls per core, as ratios to G.711. Loss is
 *     counted over the measured window (sent and received snapshotted together); `valid` says
 *     whether the node carried the whole offered load (loss < 1 %, generator on time), which is
 *     the answer to "does one node hold N calls of this codec": run with `--calls 500`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import type { AudioDecoderFactory } from '../../src/media/audio-decoder.js';
import { loadSampleCall, referenceTexts } from '../../test/contract/speech-engine-contract.js';
import type { RtpClip } from '../../test/support/codec-clips.js';
import { encodeSampleCall, writeClipFile } from './clips.js';
import type {
  BenchCodec,
  GeneratorCount,
  GeneratorReport,
  ReceiverReady,
  ReceiverSnapshot,
} from './protocol.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '3' },
    codecs: { type: 'string', default: 'PCMU,G722,G729,opus' },
    'micro-rounds': { type: 'string', default: '5' },
    'port-base': { type: 'string', default: '21000' },
    parts: { type: 'string', default: 'micro,calls' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);
const codecs = (values.codecs ?? '').split(',') as BenchCodec[];
const rounds = Number(values['micro-rounds']);
const portBase = Number(values['port-base']);
const parts = new Set((values.parts ?? '').split(','));
const here = new URL('.', import.meta.url).pathname;
const workDir = mkdtempSync(join(tmpdir(), 'callscribe-bench-codecs-'));
const factories = loadCodecs().factories;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const loadBefore = loadavg()[0] ?? 0;

function factoryOf(codec: BenchCodec): AudioDecoderFactory {
  const found = factories.find((f) => f.codec.name === codec);
  if (!found) throw new Error(`no ${codec} decoder on this machine (apt-get install the library)`);
  return found;
}

console.log(`encoding the sample call (${codecs.join(', ')}) with sox, ffmpeg and bcg729 ...`);
const clips = new Map<BenchCodec, RtpClip[]>();
for (const codec of codecs) clips.set(codec, await encodeSampleCall(codec));

/** One pass of both channels through fresh receivers; CPU µs per packet. */
function receiveOnce(codec: BenchCodec, outputRateHz?: number): number {
  const factory = factoryOf(codec);
  const channelClips = clips.get(codec) ?? [];
  let packets = 0;
  let samples = 0;
  const started = process.cpuUsage();
  for (const clip of channelClips) {
    const receiver = new RtpStreamReceiver({ drops: new DropCounter() });
    receiver.configure(
      {
        payloads: new Map([
          [clip.payloadType, { payloadType: clip.payloadType, kind: 'audio', decoder: factory }],
        ]),
        outputRateHz: outputRateHz ?? factory.codec.outputRateHz,
      },
      (frame) => {
        samples += frame.pcm.length;
      },
    );
    for (const packet of clip.packets) receiver.push(packet);
    receiver.flush();
    receiver.close();
    packets += clip.packets.length;
  }
  const used = process.cpuUsage(started);
  if (samples === 0) throw new Error(`${codec} decoded nothing`);
  return (used.user + used.system) / packets;
}

interface MicroRow {
  name: string;
  microsPerPacket: number;
  spread: [number, number];
  ratio: number;
}

function micro(): MicroRow[] {
  const variants: { name: string; run: () => number }[] = codecs.map((codec) => ({
    name: codec,
    run: () => receiveOnce(codec),
  }));
  if (codecs.includes('PCMU'))
    variants.push({ name: 'PCMU on a 16 kHz stream', run: () => receiveOnce('PCMU', 16_000) });
  for (const v of variants) v.run(); // warm-up: JIT, native libraries, allocation
  const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no codec always runs first or last.
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      results.get(v.name)!.push(v.run());
    }
  }
  const base = median(results.get('PCMU') ?? [NaN]);
  return variants.map((v) => {
    const xs = results.get(v.name)!;
    return {
      name: v.name,
      microsPerPacket: median(xs),
      spread: [Math.min(...xs), Math.max(...xs)],
      ratio: median(xs) / base,
    };
  });
}

function child(script: string, args: string[], profileDir?: string): ChildProcess {
  return fork(here + script, args, {
    execArgv: [
      '--import',
      'tsx',
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ],
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

interface CallsRow {
  codec: BenchCodec;
  calls: number;
  packetsPerSecond: number;
  /** What the generator actually sent per second in the window (nominal: 100 per call). */
  offeredPerSecond: number;
  cpuPercent: number;
  microsPerPacket: number;
  ratio: number;
  callsPerCore: number;
  lossPercent: number;
  rssPerCallKiB: number;
  generatorSkipped: number;
}

const scriptPath = join(workDir, 'fake-script.json');
writeFileSync(scriptPath, JSON.stringify({ texts: referenceTexts(loadSampleCall()) }));

async function callsRun(codec: BenchCodec): Promise<Omit<CallsRow, 'ratio'>> {
  const clipFile = join(workDir, `${codec}.json`);
  writeClipFile(clipFile, codec, clips.get(codec) ?? []);
  const profileDir = values['cpu-prof'] ? join(values['cpu-prof'], codec) : undefined;
  const receiver = child(
    'receiver.ts',
    [codec, String(calls), String(portBase), scriptPath],
    profileDir,
  );
  const ready = await next<ReceiverReady>(receiver, 'ready');
  const generator = child('generator.ts', [clipFile]);
  const generatorReady = next<{ type: 'ready' }>(generator, 'ready');
  generator.send({ type: 'targets', ports: ready.ports });
  await generatorReady;
  const snapshot = async () => {
    const reply = next<ReceiverSnapshot>(receiver, 'snapshot');
    receiver.send({ type: 'snapshot' });
    return reply;
  };
  // Sent and received are counted over the same window, so the loss is the window's.
  const counts = async () => {
    const reply = next<GeneratorCount>(generator, 'count');
    generator.send({ type: 'count' });
    const [sentNow, receivedNow] = await Promise.all([reply, snapshot()]);
    return { sent: sentNow, received: receivedNow };
  };
  const idle = await snapshot();
  generator.send({ type: 'go' });
  await sleep(warmupSeconds * 1000);
  const windowStart = performance.now();
  const { sent: sentFirst, received: first } = await counts();
  await sleep(seconds * 1000);
  const { sent: sentLast, received: last } = await counts();
  // A loaded box oversleeps: rates are per second of the window actually measured.
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const report = next<GeneratorReport>(generator, 'report');
  generator.send({ type: 'stop' });
  await report;
  receiver.send({ type: 'stop' });
  await new Promise((resolve) => receiver.once('exit', resolve));
  const packets = last.packetsReceived - first.packetsReceived;
  // Packets in flight at either end of the window roughly cancel out.
  const sentInWindow = sentLast.packetsSent - sentFirst.packetsSent;
  const cpuMicros = last.cpuMicros - first.cpuMicros;
  const cpuPercent = (cpuMicros / (windowSeconds * 1e6)) * 100;
  return {
    codec,
    calls,
    packetsPerSecond: packets / windowSeconds,
    cpuPercent,
    microsPerPacket: cpuMicros / packets,
    // From the cost per packet, not N ÷ CPU: a late generator offers fewer than 100 packets/s
    // per call, which would flatter the codec.
    callsPerCore: 1e6 / ((cpuMicros / packets) * 100),
    offeredPerSecond: sentInWindow / windowSeconds,
    lossPercent: sentInWindow > 0 ? Math.max(0, 1 - packets / sentInWindow) * 100 : 0,
    rssPerCallKiB: (last.rssBytes - idle.rssBytes) / 1024 / calls,
    generatorSkipped: sentLast.packetsSkipped - sentFirst.packetsSkipped,
  };
}

const out: { micro?: MicroRow[]; calls?: CallsRow[]; loadAverage: [number, number] } = {
  loadAverage: [loadBefore, 0],
};
if (parts.has('micro')) {
  out.micro = micro();
  console.log(
    `\n(a) receive + decode + resample, in process, ${rounds} rounds (median, [min, max])`,
  );
  console.table(
    out.micro.map((r) => ({
      stream: r.name,
      'µs/packet': r.microsPerPacket.toFixed(2),
      'min-max': `${r.spread[0].toFixed(2)}-${r.spread[1].toFixed(2)}`,
      'ratio to PCMU': r.ratio.toFixed(2),
    })),
  );
}
if (parts.has('calls')) {
  const rows: Omit<CallsRow, 'ratio'>[] = [];
  for (const codec of codecs) {
    console.log(`(b) ${calls} PROCESSING calls of ${codec} ...`);
    rows.push(await callsRun(codec));
  }
  const base = rows.find((r) => r.codec === 'PCMU')?.microsPerPacket ?? NaN;
  out.calls = rows.map((r) => ({ ...r, ratio: r.microsPerPacket / base }));
  console.log(`\n(b) ${calls} PROCESSING two-leg calls, fake engine, ${seconds} s measured`);
  console.table(
    out.calls.map((r) => ({
      codec: r.codec,
      'sent pkt/s': Math.round(r.offeredPerSecond),
      'recv pkt/s': Math.round(r.packetsPerSecond),
      'CPU % core': r.cpuPercent.toFixed(1),
      'µs/packet': r.microsPerPacket.toFixed(2),
      'ratio to PCMU': r.ratio.toFixed(2),
      'calls/core': Math.round(r.callsPerCore),
      'loss %': r.lossPercent.toFixed(2),
      'RSS/call KiB': r.rssPerCallKiB.toFixed(0),
      'gen skipped': r.generatorSkipped,
      // Packets lost before the receiver saw them: the box could not carry the load, so the
      // CPU figures of this row describe less work than asked and are not comparable.
      valid: r.lossPercent < 1 && r.offeredPerSecond >= r.calls * 100 * 0.99 ? 'yes' : 'NO',
    })),
  );
}
out.loadAverage[1] = loadavg()[0] ?? 0;
console.log(
  `1-min load average: ${out.loadAverage[0].toFixed(2)} before, ${out.loadAverage[1].toFixed(2)} after`,
);
if (values.json) console.log(JSON.stringify(out, null, 2));
rmSync(workDir, { recursive: true, force: true });
