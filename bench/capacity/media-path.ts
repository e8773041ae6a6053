import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import { ForwardedMetrics } from '../../src/adapters/media-workers/forwarded-metrics.js';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import { loadConfig } from '../../src/config/load.js';
import { threadDecodeScratch } from '../../src/media/pcm-slab.js';
import { buildMediaWorkerCallAudio } from '../../src/media-worker-call-audio.js';
import type { Channel } from '../../src/domain/call.js';
import { sampleCall } from '../../test/support/sample-call.js';
import { Child } from './child.js';
import { median } from './median.js';

/**
 * A processed call's media path in one thread, without sockets: what a media worker runs per
 * packet once a datagram is read, so its JavaScript cost can be told from what the whole
 * server pays around it (the kernel's UDP receive, Node's datagram objects, other threads, a
 * machine shared with the load generator). N calls, two PCMU streams each, paced in real time
 * (one packet per stream every 20 ms, from the sample call), through the real classes the media
 * worker composes (RtpStreamReceiver, and what `buildMediaWorkerCallAudio` builds for a worker:
 * the transcription pipeline with the fake engine, the WAV recorder), in three variants, each in a fresh process, alternating by round:
 *
 * - `receiver`: RTP header, reordering, G.711 decode; frames go nowhere (the baseline);
 * - `transcribed`: and chunking, the transcription pipeline, the fake engine, its segments;
 * - `recorded`: and the stereo WAV recording (writes included: CPU is the process's, all threads).
 *
 *   npx tsx bench/capacity/media-path.ts --calls 500 --seconds 12 --rounds 3
 *
 * CPU per packet also counts building each packet (a few hundred ns), the same in every variant.
 */
type Variant = 'receiver' | 'transcribed' | 'recorded';
const VARIANTS: readonly Variant[] = ['receiver', 'transcribed', 'recorded'];
const PACKET_MS = 20;
const PAYLOAD_BYTES = 160;

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '12' },
    'warmup-seconds': { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    variant: { type: 'string' },
    'recording-flush-ms': { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values['warmup-seconds']);

interface Measured {
  type: 'measured';
  variant: Variant;
  microsPerPacket: number;
  packets: number;
  segments: number;
}

interface Stream {
  receiver: RtpStreamReceiver;
  audio: Buffer;
  seq: number;
  timestamp: number;
  offset: number;
  packet: Buffer;
}

async function runVariant(variant: Variant): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-media-path-'));
  const recorded = variant === 'recorded';
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      engine: 'fake',
      recordCalls: recorded,
      recordingFlushMs: Number(values['recording-flush-ms']),
      logLevel: 'warn',
    },
  });
  const log = pino({ level: 'warn' });
  const metrics = new ForwardedMetrics();
  const pcmu = loadCodecs().factories.find((f) => f.codec.name === 'PCMU');
  if (pcmu === undefined) throw new Error('no PCMU decoder');
  // The child exits after its one variant: its calls and engine are never closed (the directory goes).
  const { audio: factory } = await buildMediaWorkerCallAudio(config, { log, metrics });
  const samples = new URL('../../samples/support-call/', import.meta.url).pathname;
  const audio: Record<Channel, Buffer> = {
    CALLER: readFileSync(join(samples, 'caller.pcmu')),
    AGENT: readFileSync(join(samples, 'agent.pcmu')),
  };
  let segments = 0;
  const streams: Stream[] = [];
  // One per thread, shared by its streams' decoders, as UdpMediaSessions does.
  const decodeScratch = threadDecodeScratch();
  for (let c = 0; c < calls; c++) {
    const call = sampleCall({ callId: `call-${c}`, shouldRecordCall: recorded });
    const consumer =
      variant === 'receiver'
        ? undefined
        : factory.create({
            call,
            audioSampleRateHz: 8000,
            log,
            emit: () => void segments++,
            engineFailover: () => {},
          });
    consumer?.acceptAudio();
    consumer?.start(0);
    for (const channel of ['CALLER', 'AGENT'] as const) {
      const receiver = new RtpStreamReceiver({ drops: new DropCounter(), decodeScratch });
      receiver.configure(
        {
          payloads: new Map([[0, { payloadType: 0, kind: 'audio', decoder: pcmu }]]),
          outputRateHz: 8000,
        },
        consumer ? (frame) => consumer.audio(channel, frame) : () => {},
      );
      // Calls start at different points of the sample call, as live calls would be.
      const offset = ((c * 37 * PAYLOAD_BYTES) % audio[channel].length) - PAYLOAD_BYTES;
      streams.push({
        receiver,
        audio: audio[channel],
        seq: c * 7,
        timestamp: c * 1000,
        offset: Math.max(0, offset - (offset % PAYLOAD_BYTES)),
        packet: Buffer.alloc(12 + PAYLOAD_BYTES),
      });
    }
  }

  const startMs = performance.now();
  let tick = 0;
  let packets = 0;
  let counted = false;
  let cpu0 = process.cpuUsage();
  let packets0 = 0;
  let segments0 = 0;
  while (performance.now() - startMs < (warmupSeconds + seconds) * 1000) {
    if (!counted && performance.now() - startMs >= warmupSeconds * 1000) {
      counted = true;
      cpu0 = process.cpuUsage();
      packets0 = packets;
      segments0 = segments;
    }
    for (const s of streams) {
      if (s.offset + PAYLOAD_BYTES > s.audio.length) s.offset = 0;
      const p = s.packet;
      p[0] = 0x80;
      p[1] = 0;
      p.writeUInt16BE(s.seq & 0xffff, 2);
      p.writeUInt32BE(s.timestamp >>> 0, 4);
      p.writeUInt32BE(0x1234, 8);
      s.audio.copy(p, 12, s.offset, s.offset + PAYLOAD_BYTES);
      s.seq++;
      s.timestamp += PAYLOAD_BYTES;
      s.offset += PAYLOAD_BYTES;
      s.receiver.push(p);
      packets++;
    }
    tick++;
    // The next 20 ms: timers (recording flushes, engine results) run in between, as they would.
    const waitMs = startMs + tick * PACKET_MS - performance.now();
    await new Promise((resolve) =>
      waitMs > 1 ? setTimeout(resolve, waitMs) : setImmediate(resolve),
    );
  }
  const used = process.cpuUsage(cpu0);
  rmSync(dataDir, { recursive: true, force: true });
  return {
    type: 'measured',
    variant,
    microsPerPacket: (used.user + used.system) / (packets - packets0),
    packets: packets - packets0,
    segments: segments - segments0,
  };
}

/** One variant measured in a process of its own: no JIT state or file carries over. */
async function inChild(variant: Variant): Promise<Measured> {
  const args = ['--variant', variant, '--calls', String(calls), '--seconds', String(seconds)];
  args.push('--warmup-seconds', String(warmupSeconds));
  args.push('--recording-flush-ms', String(values['recording-flush-ms']));
  const child = new Child<never, Measured>(new URL(import.meta.url), args);
  const measured = await child.next('measured');
  await child.exited();
  return measured;
}

if (values.variant !== undefined) {
  const measured = await runVariant(values.variant as Variant);
  // Run by hand (`--variant recorded`): the figure on stdout instead of to a parent.
  if (process.send) process.send(measured);
  else console.log(JSON.stringify(measured));
  process.exit(0);
}

const rounds = Math.max(1, Math.trunc(Number(values.rounds)));
const results: Measured[] = [];
console.log(
  `${calls} calls (${(calls * 2 * 1000) / PACKET_MS} packets/s), ${seconds} s measured, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join('/')}`,
);
for (let round = 1; round <= rounds; round++) {
  for (const variant of VARIANTS) {
    const m = await inChild(variant);
    results.push(m);
    if (!values.json)
      console.log(
        `  round ${round} ${variant.padEnd(11)} ${m.microsPerPacket.toFixed(2)} µs/packet, ${m.segments} segments`,
      );
  }
}
const medians = Object.fromEntries(
  VARIANTS.map((v) => [
    v,
    median(results.filter((r) => r.variant === v).map((r) => r.microsPerPacket)),
  ]),
) as Record<Variant, number>;
if (values.json) console.log(JSON.stringify({ calls, seconds, rounds, results, medians }, null, 2));
else {
  for (const v of VARIANTS) {
    const extra = medians[v] - medians.receiver;
    console.log(
      `${v.padEnd(11)} median ${medians[v].toFixed(2)} µs/packet (${(medians[v] / medians.receiver).toFixed(2)}x receiver, +${extra.toFixed(2)})`,
    );
  }
}
