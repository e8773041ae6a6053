/**
 * Cost of the sherpa-onnx machinery per stream, on the models the tests generate (tiny, so this
 * is the cost of callscribe + sherpa-onnx's feature extraction, decoding loop and segmentation,
 * not of a real neural network; a real model adds its own compute on top). Baseline in the same
 * run: the fake engine (energy detector only) driven the same way.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { SherpaOnnxEngine } from '../../src/adapters/speech/sherpa-onnx/sherpa-onnx-engine.js';
import type { SpeechEngine, SpeechStream } from '../../src/ports/speech-engine.js';
import {
  writeOfflineNemoCtc,
  writeStreamingNemoCtc,
  writeStreamingTransducer,
} from '../../test/support/sherpa-models/model-families.js';
import { toneCallStimulus } from '../../test/support/sherpa-models/tone-call.js';

const log = pino({ level: 'silent' });
const AUDIO_MS = 9000;

export interface CostRow {
  name: string;
  cpuMsPerAudioS: number;
  rssPerStreamMb: number;
  loadRssMb: number;
  ratioToFake: number;
}

async function drive(
  engine: SpeechEngine,
  streams: number,
): Promise<{ cpuMs: number; rssGrowth: number }> {
  const tones = toneCallStimulus();
  const pcm = [tones.pcm('CALLER', 16_000), tones.pcm('AGENT', 16_000)];
  const rssBefore = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const open: SpeechStream[] = await Promise.all(
    Array.from({ length: streams }, (_, i) =>
      engine.open({
        callId: `cost-${i >> 1}`,
        channel: i % 2 === 0 ? 'CALLER' : 'AGENT',
        sampleRateHz: 16_000,
        languageCode: 'en-US',
        log,
        onResult: () => undefined,
        onError: (e) => {
          throw e;
        },
      }),
    ),
  );
  let peakRss = process.memoryUsage().rss;
  const packet = 320;
  const samples = (AUDIO_MS * 16_000) / 1000;
  for (let offset = 0; offset < samples; offset += packet) {
    open.forEach((s, i) => s.write((pcm[i % 2] as Int16Array).slice(offset, offset + packet)));
    if ((offset / packet) % 25 === 24) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  await Promise.all(open.map((s) => s.finish()));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuMs: (cpu.user + cpu.system) / 1000, rssGrowth: peakRss - rssBefore };
}

export async function sherpaCost(streams: number, workers: number): Promise<CostRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'callscribe-bench-sherpa-'));
  const families = [
    { name: 'fake (baseline)', write: undefined },
    { name: 'sherpa streaming transducer', write: writeStreamingTransducer },
    { name: 'sherpa streaming NeMo CTC', write: writeStreamingNemoCtc },
    { name: 'sherpa offline NeMo CTC + energy-gate segments', write: writeOfflineNemoCtc },
  ];
  const rows: CostRow[] = [];
  let fakeCpu = Number.NaN;
  try {
    for (const family of families) {
      global.gc?.();
      const rssBeforeLoad = process.memoryUsage().rss;
      let engine: SpeechEngine;
      if (family.write) {
        const modelDir = join(dir, family.name.replace(/\W+/g, '-'));
        await family.write(modelDir);
        engine = await SherpaOnnxEngine.create(
          {
            sherpaModelDir: modelDir,
            sherpaModelType: undefined,
            sherpaWorkers: workers,
            sherpaThreadsPerWorker: 1,
            sherpaVadModel: undefined,
            sherpaMaxSegmentMs: 15_000,
            sherpaEndSilenceMs: 500,
            sherpaPartialIntervalMs: 1000,
          },
          log,
        );
      } else engine = new FakeSpeechEngine(parseFakeScript({}));
      const loadRss = process.memoryUsage().rss - rssBeforeLoad;
      try {
        await drive(engine, 2); // warm-up
        const { cpuMs, rssGrowth } = await drive(engine, streams);
        const cpuMsPerAudioS = cpuMs / ((streams * AUDIO_MS) / 1000);
        if (!family.write) fakeCpu = cpuMsPerAudioS;
        rows.push({
          name: family.name,
          cpuMsPerAudioS,
          rssPerStreamMb: rssGrowth / streams / 1024 / 1024,
          loadRssMb: loadRss / 1024 / 1024,
          ratioToFake: cpuMsPerAudioS / fakeCpu,
        });
      } finally {
        await engine.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
