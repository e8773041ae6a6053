import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsTranscribeEngine } from '../../src/adapters/speech/aws-transcribe/aws-transcribe-engine.js';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { SherpaOnnxEngine } from '../../src/adapters/speech/sherpa-onnx/sherpa-onnx-engine.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { AddTranscriptSegmentEvent } from '../../src/domain/call-event.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import type { EngineFailover } from '../../src/domain/engine-failover.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SpeechEngine } from '../../src/ports/speech-engine.js';
import { loadSampleCall, referenceTexts } from '../contract/speech-engine-contract.js';
import { startFakeTranscribeServer } from '../support/fake-transcribe-server.js';
import { freePort } from '../support/free-port.js';
import { writeStreamingTransducer } from '../support/sherpa-models/model-families.js';
import { toneCallStimulus } from '../support/sherpa-models/tone-call.js';
import { tools } from '../support/tools.js';
import { wordErrorRate } from '../support/wer.js';
import { frame8k } from '../support/media.js';

type Segment = Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>;

const log = pino({ level: 'silent' });
const sample = loadSampleCall();
const pocketsphinx = tools.pocketsphinx();
const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
const awsConfig = (endpoint: string) => ({
  awsRegion: 'us-east-1',
  awsTranscribeEndpoint: endpoint,
  awsVocabularyName: undefined,
  awsPiiRedaction: false,
  awsPiiEntityTypes: 'ALL',
});

/** Plays both channels of `pcm` through a pipeline on primary + fallback, 20 ms packets. */
async function transcribe(
  primary: SpeechEngine,
  fallback: SpeechEngine,
  pcm: Record<Channel, Int16Array>,
  untilMs: number,
  during?: (ms: number) => Promise<void>,
) {
  const metrics = createMetrics();
  const factory = new TranscriptionPipelineFactory({
    engine: primary,
    fallbackEngine: fallback,
    log,
    metrics,
    config: {
      savePartialTranscripts: false,
      engineReconnectMaxMs: 1000,
      engineRetryBudget: 0,
      engineFailbackMs: 30_000,
    },
  });
  const segments: Segment[] = [];
  const failovers: EngineFailover[] = [];
  const pipeline = factory.create({
    call: { callId: 'failover', languageCode: 'en-US' } as CallData,
    log,
    emit: (s) => segments.push(s),
    engineFailover: (f) => failovers.push(f),
  });
  pipeline.start(0);
  for (let ms = 0; ms < untilMs; ms += 20) {
    for (const channel of ['CALLER', 'AGENT'] as Channel[])
      pipeline.audio(channel, frame8k(pcm[channel].slice(ms * 8, (ms + 20) * 8)));
    await during?.(ms);
    // About 4x real time: engines keep up, and the switch happens while audio still flows.
    if (ms % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await pipeline.finish();
  const counted = await metrics.engineFailovers.get();
  return { segments, failovers, counted: counted.values };
}

function callerWer(segments: Segment[], untilMs: number): number {
  const hyp = segments
    .filter((s) => !s.IsPartial && s.Channel === 'CALLER')
    .map((s) => s.Transcript)
    .join(' ');
  const ref = sample.utterances
    .filter((u) => u.channel === 'CALLER' && u.endMs <= untilMs)
    .map((u) => u.text)
    .join(' ');
  return wordErrorRate(ref, hyp).wer;
}

describe.skipIf(!pocketsphinx.available)('engine failover to PocketSphinx', () => {
  let dataDir = '';
  let fallback: PocketsphinxEngine;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'callscribe-failover-'));
    fallback = await PocketsphinxEngine.create(
      {
        dataDir,
        pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
        pocketsphinxWorkers: 2,
        pocketsphinxLanguageModel: undefined,
      },
      log,
    );
  }, 60_000);
  afterAll(async () => {
    await fallback?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('Amazon Transcribe answering LimitExceededException: PocketSphinx transcribes the call', async () => {
    const server = await startFakeTranscribeServer({
      script: { texts: referenceTexts(sample) },
      failAfterMs: { ms: 0, exceptionType: 'LimitExceededException' },
    });
    const primary = new AwsTranscribeEngine(awsConfig(server.url), log, { credentials });
    try {
      const untilMs = 19_500;
      const { segments, failovers, counted } = await transcribe(
        primary,
        fallback,
        sample.pcm,
        untilMs,
      );
      expect(failovers).toHaveLength(1);
      expect(failovers[0]).toMatchObject({
        from: 'aws-transcribe',
        to: 'pocketsphinx',
        reason: 'quota',
      });
      expect(counted).toEqual([
        expect.objectContaining({
          labels: { from: 'aws-transcribe', to: 'pocketsphinx', reason: 'quota' },
          value: 1,
        }),
      ]);
      const wer = callerWer(segments, untilMs);
      console.info(
        `[failover quota] switch ${failovers[0]?.switchMs} ms, caller WER ${wer.toFixed(3)}`,
      );
      // Both channels were transcribed from the start by the fallback (the primary never produced a final).
      expect(wer).toBeLessThan(0.6);
      expect(segments.some((s) => !s.IsPartial && s.Channel === 'AGENT')).toBe(true);
    } finally {
      await primary.close();
      await server.close();
    }
  }, 90_000);

  it('Amazon Transcribe refusing the connection: PocketSphinx transcribes the call', async () => {
    const port = await freePort('tcp');
    const primary = new AwsTranscribeEngine(awsConfig(`http://127.0.0.1:${port}`), log, {
      credentials,
    });
    try {
      const untilMs = 12_000;
      const { segments, failovers } = await transcribe(primary, fallback, sample.pcm, untilMs);
      expect(failovers).toHaveLength(1);
      expect(failovers[0]).toMatchObject({ reason: 'connection', to: 'pocketsphinx' });
      console.info(`[failover refused] switch ${failovers[0]?.switchMs} ms`);
      expect(segments.filter((s) => !s.IsPartial).length).toBeGreaterThanOrEqual(2);
    } finally {
      await primary.close();
    }
  }, 90_000);
});

describe('engine failover after a worker is killed mid-call', () => {
  it('a sherpa-onnx worker killed mid-call: the fallback gets the rest of the call from the last final', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'callscribe-failover-sherpa-'));
    await writeStreamingTransducer(join(dir, 'model'));
    const primary = await SherpaOnnxEngine.create(
      {
        sherpaModelDir: join(dir, 'model'),
        sherpaModelType: undefined,
        sherpaWorkers: 1,
        sherpaThreadsPerWorker: 1,
        sherpaVadModel: undefined,
        sherpaMaxSegmentMs: 15_000,
        sherpaEndSilenceMs: 500,
        sherpaPartialIntervalMs: 1000,
      },
      log,
    );
    const fallback = new FakeSpeechEngine(parseFakeScript({}), 'fake');
    const tones = toneCallStimulus();
    const pcm = { CALLER: tones.pcm('CALLER', 8000), AGENT: tones.pcm('AGENT', 8000) };
    try {
      const { segments, failovers } = await transcribe(primary, fallback, pcm, 7000, async (ms) => {
        // After the first caller utterance's final (it ends at 1.45 s + 0.8 s endpoint), mid-"account".
        if (ms === 3700) await primary.terminateWorker(0);
      });
      expect(failovers).toMatchObject([{ from: 'sherpa-onnx', to: 'fake', reason: 'crash' }]);
      const caller = segments.filter((s) => !s.IsPartial && s.Channel === 'CALLER');
      expect(caller[0]?.Transcript).toBe('hello world');
      // "account" (3.5–3.9 s) was cut by the crash; the fallback got it replayed from the end
      // of the last final (which the transducer places a little before the true end of speech).
      const byFallback = caller.slice(1);
      expect(byFallback.every((s) => s.Transcript.startsWith('caller utterance'))).toBe(true);
      expect(byFallback.some((s) => Math.abs(s.StartTime - 3.5) < 0.3)).toBe(true);
      console.info(`[failover crash] switch ${failovers[0]?.switchMs} ms`);
    } finally {
      await primary.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
