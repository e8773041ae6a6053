/**
 * Transcription benchmark: `npx tsx bench/transcription/run.ts`
 * Env: BENCH_PARTS (comma list of engines,sherpa,failover,vocabulary; default all),
 * BENCH_CALLS (concurrent calls, default 2), BENCH_ENGINES (comma list, default
 * "pocketsphinx,fake"), BENCH_WORKERS (pocketsphinx and sherpa-onnx workers, default 2),
 * BENCH_SHERPA_STREAMS (default 20), BENCH_SWITCH_RUNS (default 10).
 *
 * engines: per engine, (1) throughput of the raw engine vs the same audio through the pipeline,
 * both fed as fast as possible; (2) BENCH_CALLS real-time paced calls through the pipeline:
 * end-of-speech → final latency (dialog.tsv end times), RSS per call, and WER of the finals.
 * sherpa: CPU per audio second and RSS per stream of the sherpa-onnx path on generated models.
 * failover: failover switch time. vocabulary: PocketSphinx WER with and without `vocabulary`.

 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { AddTranscriptSegmentEvent } from '../../src/domain/call-event.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SpeechEngine } from '../../src/ports/speech-engine.js';
import { loadSampleCall, referenceTexts } from '../../test/contract/speech-engine-contract.js';
import { wordErrorRate } from '../../test/support/wer.js';
import { frame8k } from '../../test/support/media.js';
import { failoverSwitch } from './failover-switch.js';
import { sherpaCost } from './sherpa-cost.js';
import { vocabularyWer } from './vocabulary-wer.js';

type Segment = Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>;

const calls = Number(process.env.BENCH_CALLS ?? 2);
const engines = (process.env.BENCH_ENGINES ?? 'pocketsphinx,fake').split(',');
const workers = Number(process.env.BENCH_WORKERS ?? 2);
const log = pino({ level: 'silent' });
const sample = loadSampleCall();
const channels: Channel[] = ['CALLER', 'AGENT'];
const audioMs = Math.floor(sample.pcm.CALLER.length / 8);
const PACKET_MS = 20;
const yieldLoop = () => new Promise((resolve) => setImmediate(resolve));

async function makeEngine(name: string, dataDir: string): Promise<SpeechEngine> {
  if (name === 'pocketsphinx') {
    return PocketsphinxEngine.create(
      {
        dataDir,
        pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
        pocketsphinxWorkers: workers,
        pocketsphinxLanguageModel: process.env.BENCH_LM,
      },
      log,
    );
  }
  if (name === 'fake')
    return new FakeSpeechEngine(parseFakeScript({ texts: referenceTexts(sample) }));
  throw new Error(`bench does not know engine ${name}`);
}

/** Opens (and finishes) every stream the runs need once, so decoder creation is not timed. */
async function warmUp(engine: SpeechEngine): Promise<void> {
  const streams = await Promise.all(
    Array.from({ length: calls * channels.length }, (_, i) =>
      engine.open({
        callId: `warm-${i}`,
        channel: channels[i % 2] ?? 'CALLER',
        sampleRateHz: 8000,
        languageCode: 'en-US',
        log,
        onResult: () => undefined,
        onError: () => undefined,
      }),
    ),
  );
  await Promise.all(streams.map((s) => s.finish()));
  // Let the released decoders finish their re-initialisation.
  await new Promise((resolve) => setTimeout(resolve, 3000));
}

async function rawThroughput(engine: SpeechEngine): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      const streams = await Promise.all(
        channels.map((channel) =>
          engine.open({
            callId: `raw-${i}`,
            channel,
            sampleRateHz: 8000,
            languageCode: 'en-US',
            log,
            onResult: () => undefined,
            onError: () => undefined,
          }),
        ),
      );
      for (let ms = 0; ms < audioMs; ms += PACKET_MS) {
        channels.forEach((channel, c) =>
          streams[c]?.write(sample.pcm[channel].slice(ms * 8, (ms + PACKET_MS) * 8)),
        );
        if (ms % 1000 === 0) await yieldLoop();
      }
      await Promise.all(streams.map((s) => s.finish()));
    }),
  );
  return (calls * audioMs) / (performance.now() - started);
}

function newCall(
  factory: TranscriptionPipelineFactory,
  callId: string,
  onSegment: (s: Segment) => void,
) {
  const call = { callId, languageCode: 'en-US' } as CallData;
  return factory.create({ call, log, emit: onSegment });
}

async function pipelineThroughput(engine: SpeechEngine): Promise<number> {
  const factory = new TranscriptionPipelineFactory({
    engine,
    log,
    metrics: createMetrics(),
    config: { savePartialTranscripts: true, engineReconnectMaxMs: 2000 },
  });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      const pipeline = newCall(factory, `pipe-${i}`, () => undefined);
      pipeline.start(0);
      for (let ms = 0; ms < audioMs; ms += PACKET_MS) {
        for (const channel of channels)
          pipeline.audio(channel, frame8k(sample.pcm[channel].slice(ms * 8, (ms + PACKET_MS) * 8)));
        if (ms % 1000 === 0) await yieldLoop();
      }
      await pipeline.finish();
    }),
  );
  return (calls * audioMs) / (performance.now() - started);
}

interface PacedResult {
  latenciesMs: number[];
  rssPerCallMb: number;
  wer: number;
  maxLagMs: number;
}

async function paced(engine: SpeechEngine, baselineRss: number): Promise<PacedResult> {
  const factory = new TranscriptionPipelineFactory({
    engine,
    log,
    metrics: createMetrics(),
    config: { savePartialTranscripts: true, engineReconnectMaxMs: 2000 },
  });
  let peakRss = process.memoryUsage().rss;
  const latenciesMs: number[] = [];
  const finals: Segment[][] = [];
  let maxLagMs = 0;
  await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      // Stagger calls so their utterance ends do not line up, as on a real node.
      await new Promise((resolve) => setTimeout(resolve, i * 1700));
      const mine: Segment[] = [];
      finals.push(mine);
      const started = performance.now();
      const pipeline = newCall(factory, `paced-${i}`, (s) => {
        if (s.IsPartial) return;
        mine.push(s);
        const heard = sample.utterances.find(
          (u) =>
            u.channel === s.Channel && s.StartTime * 1000 < u.endMs && s.EndTime * 1000 > u.startMs,
        );
        if (heard) latenciesMs.push(performance.now() - started - heard.endMs);
      });
      pipeline.start(0);
      for (let ms = 0; ms < audioMs; ms += PACKET_MS) {
        const due = started + ms;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        else maxLagMs = Math.max(maxLagMs, -wait);
        for (const channel of channels)
          pipeline.audio(channel, frame8k(sample.pcm[channel].slice(ms * 8, (ms + PACKET_MS) * 8)));
        if (ms % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      await pipeline.finish();
    }),
  );
  const reference = referenceTexts(sample);
  let errors = 0;
  let words = 0;
  for (const segs of finals) {
    for (const channel of channels) {
      const hyp = segs
        .filter((s) => s.Channel === channel)
        .sort((a, b) => a.StartTime - b.StartTime)
        .map((s) => s.Transcript)
        .join(' ');
      const r = wordErrorRate(reference[channel].join(' '), hyp);
      errors += r.errors;
      words += r.referenceWords;
    }
  }
  return {
    latenciesMs,
    rssPerCallMb: (peakRss - baselineRss) / calls / 1024 / 1024,
    wer: errors / words,
    maxLagMs,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const parts = (process.env.BENCH_PARTS ?? 'engines,sherpa,failover,vocabulary').split(',');
const dataDir = await mkdtemp(join(tmpdir(), 'callscribe-bench-'));
if (parts.includes('engines')) await enginesPart();
if (parts.includes('sherpa')) {
  const streams = Number(process.env.BENCH_SHERPA_STREAMS ?? 20);
  console.log(
    `\nsherpa-onnx machinery, generated models: ${streams} streams on ${workers} workers, 9 s of 16 kHz audio each`,
  );
  console.log('| path | CPU ms per audio s | x fake | RSS per stream MB | RSS to load MB |');
  console.log('|---|---|---|---|---|');
  for (const r of await sherpaCost(streams, workers))
    console.log(
      `| ${r.name} | ${r.cpuMsPerAudioS.toFixed(2)} | ${r.ratioToFake.toFixed(1)} | ${r.rssPerStreamMb.toFixed(2)} | ${r.loadRssMb.toFixed(1)} |`,
    );
}
if (parts.includes('failover') || parts.includes('vocabulary')) {
  const ps = await makeEngine('pocketsphinx', dataDir).catch(() => undefined);
  try {
    if (parts.includes('failover')) {
      const runs = Number(process.env.BENCH_SWITCH_RUNS ?? 10);
      console.log('\nfailover switch time (failure noticed → fallback stream open and fed)');
      console.log('| switch | runs | median ms | p95 ms | max ms |');
      console.log('|---|---|---|---|---|');
      for (const r of await failoverSwitch(runs, ps))
        console.log(`| ${r.name} | ${r.runs} | ${r.medianMs} | ${r.p95Ms} | ${r.maxMs} |`);
    }
  } finally {
    await ps?.close();
  }
  if (parts.includes('vocabulary')) {
    console.log('\nPocketSphinx WER with and without vocabulary (whole call, both channels)');
    console.log(
      '| sample | vocabulary | WER | words | "fibermax" heard (of 5) | "zenpay" heard (of 2) |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const r of await vocabularyWer(workers))
      console.log(
        `| ${r.sample} | ${r.vocabulary} | ${(r.wer * 100).toFixed(1)} % | ${r.words} | ${r.fibermax} | ${r.zenpay} |`,
      );
  }
}
await rm(dataDir, { recursive: true, force: true });

async function enginesPart(): Promise<void> {
  console.log(
    `calls=${calls} audio=${(audioMs / 1000).toFixed(1)} s per channel, workers=${workers}`,
  );
  console.log(
    '| engine | raw x RT | pipeline x RT | ratio | final latency p50 / p99 ms | RSS per call MB | WER (full call) | max pacing lag ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of engines) {
    // RSS per call counts the engine's decoders too (pocketsphinx holds one per live stream).
    const baselineRss = process.memoryUsage().rss;
    const engine = await makeEngine(name, dataDir);
    try {
      await warmUp(engine);
      // Alternate and keep the best of two each, so JIT warm-up and decoder re-initialisation
      // left over from the previous phase do not favour whichever runs second.
      let raw = 0;
      let piped = 0;
      for (let round = 0; round < 2; round++) {
        raw = Math.max(raw, await rawThroughput(engine));
        await new Promise((resolve) => setTimeout(resolve, 3000));
        piped = Math.max(piped, await pipelineThroughput(engine));
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
      const live = await paced(engine, baselineRss);
      console.log(
        `| ${name} | ${raw.toFixed(1)} | ${piped.toFixed(1)} | ${(piped / raw).toFixed(2)} | ${percentile(live.latenciesMs, 50).toFixed(0)} / ${percentile(live.latenciesMs, 99).toFixed(0)} | ${live.rssPerCallMb.toFixed(0)} | ${(live.wer * 100).toFixed(1)} % | ${live.maxLagMs.toFixed(0)} |`,
      );
    } finally {
      await engine.close();
    }
  }
}
