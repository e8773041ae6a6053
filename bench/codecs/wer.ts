/**
 * Word error rate of the sample call sent in each codec: `npx tsx bench/codecs/wer.ts`
 * Env: BENCH_CODECS (default "PCMU,G722,opus,G729"), BENCH_WORKERS (pocketsphinx workers, 2).
 *
 * The wideband sample call (samples/support-call-wideband, 16 kHz) is encoded by the outside
 * encoders (sox, ffmpeg, bcg729), decoded by callscribe's receive path at each codec's rate,
 * and transcribed through the transcription pipeline by PocketSphinx, whose model is 16 kHz:
 * G.722 and Opus reach it at 16 kHz, G.711 and G.729 at 8 kHz (the engine upsamples). The
 * original narrowband sample (samples/support-call, µ-law band-limited to 300-3400 Hz) is the
 * reference row the README quotes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadCodecs } from '../../src/adapters/codecs/load-codecs.js';
import { DropCounter } from '../../src/adapters/rtp/drop-counter.js';
import { RtpStreamReceiver } from '../../src/adapters/rtp/rtp-stream-receiver.js';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { loadSampleCall } from '../../test/contract/speech-engine-contract.js';
import type { RtpClip } from '../../test/support/codec-clips.js';
import { wordErrorRate } from '../../test/support/wer.js';
import { encodeSampleCall } from './clips.js';
import type { BenchCodec } from './protocol.js';

const codecs = (process.env.BENCH_CODECS ?? 'PCMU,G722,opus,G729').split(',') as BenchCodec[];
const workers = Number(process.env.BENCH_WORKERS ?? 2);
const log = pino({ level: 'silent' });
const channels: Channel[] = ['CALLER', 'AGENT'];
const sample = loadSampleCall();
const factories = loadCodecs().factories;

function decode(codec: BenchCodec, clip: RtpClip): AudioFrame[] {
  const factory = factories.find((f) => f.codec.name === codec);
  if (!factory) throw new Error(`no ${codec} decoder`);
  const receiver = new RtpStreamReceiver({ drops: new DropCounter() });
  const frames: AudioFrame[] = [];
  receiver.configure(
    {
      payloads: new Map([
        [clip.payloadType, { payloadType: clip.payloadType, kind: 'audio', decoder: factory }],
      ]),
      outputRateHz: factory.codec.outputRateHz,
    },
    (frame) => frames.push({ pcm: frame.pcm.slice(), sampleRateHz: frame.sampleRateHz }),
  );
  for (const packet of clip.packets) receiver.push(packet);
  receiver.flush();
  receiver.close();
  return frames;
}

async function transcribe(
  factory: TranscriptionPipelineFactory,
  name: string,
  rateHz: number,
  frames: Record<Channel, AudioFrame[]>,
): Promise<Record<Channel, string>> {
  const texts: Record<Channel, string[]> = { CALLER: [], AGENT: [] };
  const call = { callId: `wer-${name}`, languageCode: 'en-US' } as CallData;
  const pipeline = factory.create({
    call,
    log,
    audioSampleRateHz: rateHz,
    emit: (s) => {
      if (!s.IsPartial) texts[s.Channel as Channel].push(s.Transcript);
    },
  });
  pipeline.start(0);
  const count = Math.max(frames.CALLER.length, frames.AGENT.length);
  for (let i = 0; i < count; i++) {
    for (const channel of channels) {
      const frame = frames[channel][i];
      if (frame) pipeline.audio(channel, frame);
    }
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await pipeline.finish();
  return { CALLER: texts.CALLER.join(' '), AGENT: texts.AGENT.join(' ') };
}

const reference = {
  CALLER: sample.utterances
    .filter((u) => u.channel === 'CALLER')
    .map((u) => u.text)
    .join(' '),
  AGENT: sample.utterances
    .filter((u) => u.channel === 'AGENT')
    .map((u) => u.text)
    .join(' '),
};

const dataDir = await mkdtemp(join(tmpdir(), 'callscribe-wer-'));
const engine = await PocketsphinxEngine.create(
  {
    dataDir,
    pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
    pocketsphinxWorkers: workers,
  },
  log,
);
const factory = new TranscriptionPipelineFactory({
  engine,
  log,
  metrics: createMetrics(),
  config: { savePartialTranscripts: false, engineReconnectMaxMs: 2000 },
});

const rows: { input: string; rateHz: number; caller: number; agent: number; overall: number }[] =
  [];
async function measure(name: string, rateHz: number, frames: Record<Channel, AudioFrame[]>) {
  const hyp = await transcribe(factory, name, rateHz, frames);
  const caller = wordErrorRate(reference.CALLER, hyp.CALLER);
  const agent = wordErrorRate(reference.AGENT, hyp.AGENT);
  const overall = (caller.errors + agent.errors) / (caller.referenceWords + agent.referenceWords);
  rows.push({ input: name, rateHz, caller: caller.wer, agent: agent.wer, overall });
}

// The original narrowband sample, as the README's figure was measured.
const narrow = (channel: Channel): AudioFrame[] => {
  const pcm = sample.pcm[channel];
  const frames: AudioFrame[] = [];
  for (let at = 0; at < pcm.length; at += 160)
    frames.push({ pcm: pcm.slice(at, at + 160), sampleRateHz: 8000 });
  return frames;
};
await measure('samples/support-call (µ-law, 300-3400 Hz)', 8000, {
  CALLER: narrow('CALLER'),
  AGENT: narrow('AGENT'),
});
for (const codec of codecs) {
  const [caller, agent] = await encodeSampleCall(codec);
  const callerFrames = decode(codec, caller!);
  await measure(`wideband sample as ${codec}`, callerFrames[0]?.sampleRateHz ?? 8000, {
    CALLER: callerFrames,
    AGENT: decode(codec, agent!),
  });
}
await engine.close();
await rm(dataDir, { recursive: true, force: true });
console.table(
  rows.map((r) => ({
    input: r.input,
    'engine input': `${r.rateHz / 1000} kHz`,
    'WER caller': `${(r.caller * 100).toFixed(1)} %`,
    'WER agent': `${(r.agent * 100).toFixed(1)} %`,
    'WER overall': `${(r.overall * 100).toFixed(1)} %`,
  })),
);
