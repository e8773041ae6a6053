/**
 * Failover switch time: from the moment the pipeline notices the primary failed a stream to the
 * fallback's stream being open and fed (the replayed audio written). Baseline in the same run:
 * a fake fallback, which opens at once, so the difference is the fallback engine's own opening.
 */
import { pino } from 'pino';
import { AwsTranscribeEngine } from '../../src/adapters/speech/aws-transcribe/aws-transcribe-engine.js';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import type { EngineFailover } from '../../src/domain/engine-failover.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SpeechEngine } from '../../src/ports/speech-engine.js';
import { loadSampleCall, referenceTexts } from '../../test/contract/speech-engine-contract.js';
import { startFakeTranscribeServer } from '../../test/support/fake-transcribe-server.js';
import { frame8k } from '../../test/support/media.js';

const log = pino({ level: 'silent' });
const sample = loadSampleCall();

async function oneSwitch(
  primary: SpeechEngine,
  fallback: SpeechEngine,
  callId: string,
  fail: () => void,
): Promise<EngineFailover | undefined> {
  const factory = new TranscriptionPipelineFactory({
    engine: primary,
    fallbackEngine: fallback,
    log,
    metrics: createMetrics(),
    config: {
      savePartialTranscripts: false,
      engineReconnectMaxMs: 1000,
      engineRetryBudget: 0,
      // Every call must try the primary again, so each run measures a switch.
      engineFailbackMs: 1,
    },
  });
  let failover: EngineFailover | undefined;
  const pipeline = factory.create({
    call: { callId, languageCode: 'en-US' } as CallData,
    log,
    emit: () => undefined,
    engineFailover: (f) => (failover = f),
  });
  pipeline.start(0);
  for (let ms = 0; ms < 4000; ms += 20) {
    for (const channel of ['CALLER', 'AGENT'] as Channel[])
      pipeline.audio(channel, frame8k(sample.pcm[channel].slice(ms * 8, (ms + 20) * 8)));
    if (ms === 2000) fail();
    if (ms % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await pipeline.finish();
  return failover;
}

export interface SwitchRow {
  name: string;
  runs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

function summarise(name: string, values: number[]): SwitchRow {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return {
    name,
    runs: values.length,
    medianMs: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted.at(-1) ?? NaN,
  };
}

export async function failoverSwitch(
  runs: number,
  pocketsphinx: SpeechEngine | undefined,
): Promise<SwitchRow[]> {
  const rows: SwitchRow[] = [];
  const fallbacks: [string, SpeechEngine][] = [
    ['fake → fake (baseline)', new FakeSpeechEngine(parseFakeScript({}), 'fallback')],
    ...(pocketsphinx ? ([['fake → pocketsphinx', pocketsphinx]] as [string, SpeechEngine][]) : []),
  ];
  for (const [name, fallback] of fallbacks) {
    const primary = new FakeSpeechEngine(
      parseFakeScript({ texts: referenceTexts(sample) }),
      'primary',
    );
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const f = await oneSwitch(primary, fallback, `switch-${name}-${i}`, () =>
        primary.injectFailure({ reason: 'quota' }),
      );
      if (f) times.push(f.switchMs);
    }
    rows.push(summarise(`${name}, quota refusal mid-call`, times));
  }
  if (pocketsphinx) {
    const server = await startFakeTranscribeServer({
      script: { texts: referenceTexts(sample) },
      failAfterMs: { ms: 1000, exceptionType: 'LimitExceededException' },
    });
    const aws = new AwsTranscribeEngine(
      {
        awsRegion: 'us-east-1',
        awsTranscribeEndpoint: server.url,
        awsVocabularyName: undefined,
        awsPiiRedaction: false,
        awsPiiEntityTypes: 'ALL',
      },
      log,
      { credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' } },
    );
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const f = await oneSwitch(aws, pocketsphinx, `switch-aws-${i}`, () => undefined);
      if (f) times.push(f.switchMs);
    }
    rows.push(
      summarise('aws-transcribe (local fake, LimitExceededException) → pocketsphinx', times),
    );
    await aws.close();
    await server.close();
  }
  return rows;
}
