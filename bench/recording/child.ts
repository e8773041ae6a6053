import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { StereoInterleaver } from '../../src/adapters/recording/stereo-interleaver.js';
import { WavCallRecorder } from '../../src/adapters/recording/wav-call-recorder.js';
import type { Channel } from '../../src/domain/call.js';
import { audioFrame, type AudioFrame } from '../../src/media/audio-frame.js';
import type { RecordingWriter } from '../../src/ports/call-recorder.js';

/**
 * One measurement of bench/recording: N two-leg calls, one 20 ms frame per leg every 20 ms (the
 * rate RTP brings them), into `mode`'s writer. Prints one JSON line.
 *
 *   child.ts <mode: none|per-packet|batched> <calls> <seconds> <flushMs>
 */
const [mode = 'batched', callsArg = '250', secondsArg = '5', flushArg = '1000'] =
  process.argv.slice(2);
const calls = Number(callsArg);
const seconds = Number(secondsArg);
const flushMs = Number(flushArg);
const SAMPLE_RATE_HZ = 8000;
const FRAME_SAMPLES = 160;
const log = pino({ level: 'silent' });
const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-bench-recording-'));

/** The design the issue measured: each packet pair's audio written at once, one write each. */
class PerPacketWriter implements RecordingWriter {
  readonly sampleRateHz = SAMPLE_RATE_HZ;
  readonly #interleaver = new StereoInterleaver(SAMPLE_RATE_HZ / 2);
  readonly #handle: Promise<FileHandle>;
  #offset = 44;
  #chain: Promise<unknown> = Promise.resolve();
  constructor(path: string) {
    this.#handle = open(path, 'w');
  }
  write(channel: Channel, frame: AudioFrame): void {
    this.#interleaver.push(channel, frame.pcm);
    const samples = this.#interleaver.ready;
    if (samples === 0) return;
    const ready = new Int16Array(2 * samples);
    this.#interleaver.take(samples, ready, 0);
    const bytes = Buffer.from(ready.buffer, ready.byteOffset, ready.byteLength);
    const at = this.#offset;
    this.#offset += bytes.length;
    this.#chain = this.#chain.then(async () =>
      (await this.#handle).write(bytes, 0, bytes.length, at),
    );
  }
  async close(): Promise<string | undefined> {
    await this.#chain;
    await (await this.#handle).close();
    return undefined;
  }
}

/** Main-thread user+system time, µs (clock ticks of 10 ms). */
function mainThreadCpuMicros(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

// Counts the file writes and the longest gap between two writes of one file (the batching bound).
const writeTimes = new Map<FileHandle, number>();
let fileWrites = 0;
let longestGapMs = 0;
const probe = await open(join(dataDir, 'probe'), 'w');
const handleProto = Object.getPrototypeOf(probe) as Record<string, unknown>;
await probe.close();
for (const name of ['write', 'writev']) {
  const original = handleProto[name] as (...args: unknown[]) => Promise<unknown>;
  handleProto[name] = function (this: FileHandle, ...args: unknown[]) {
    const at = performance.now();
    const last = writeTimes.get(this);
    if (last !== undefined && measuring) longestGapMs = Math.max(longestGapMs, at - last);
    writeTimes.set(this, at);
    if (measuring) fileWrites++;
    return original.apply(this, args);
  };
}

const recorder = new WavCallRecorder({ dataDir, log, flushMs });
const writers: RecordingWriter[] = Array.from({ length: calls }, (_, i) =>
  mode === 'batched'
    ? recorder.open(`call-${i}`, { sampleRateHz: SAMPLE_RATE_HZ })
    : new PerPacketWriter(join(dataDir, `naive-${i}.wav`)),
);
const pcm = new Int16Array(FRAME_SAMPLES).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
const frame = audioFrame(pcm, SAMPLE_RATE_HZ);

let measuring = false;
let packets = 0;
const started = performance.now();
let ticks = 0;
// Paced by elapsed time, so a late timer catches up instead of sending less.
const pacer = setInterval(() => {
  const due = Math.floor((performance.now() - started) / 20);
  for (; ticks < due; ticks++) {
    for (const writer of writers) {
      if (mode !== 'none') {
        writer.write('CALLER', frame);
        writer.write('AGENT', frame);
      }
    }
    if (measuring) packets += 2 * calls;
  }
}, 5);

await new Promise((resolve) => setTimeout(resolve, 1500));
measuring = true;
const cpu0 = process.cpuUsage();
const main0 = mainThreadCpuMicros();
const t0 = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const windowMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const mainMicros = mainThreadCpuMicros() - main0;
measuring = false;
clearInterval(pacer);
await Promise.all(writers.map((w) => w.close()));
rmSync(dataDir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    mode,
    calls,
    flushMs,
    packets,
    packetsPerSecond: packets / (windowMs / 1000),
    fileWrites,
    writesPerPacket: packets === 0 ? 0 : fileWrites / packets,
    longestGapMs,
    processCpuMicrosPerPacket: (cpu.user + cpu.system) / packets,
    mainThreadCpuMicrosPerPacket: mainMicros / packets,
  }),
);
process.exit(0);
