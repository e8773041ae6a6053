import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { CallData } from '../../src/domain/call.js';
import { isAppError } from '../../src/domain/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type {
  SpeechEngine,
  SpeechStream,
  SpeechStreamOptions,
} from '../../src/ports/speech-engine.js';
import { buildAppHarness, newSession } from '../support/app-harness.js';
import { tone } from '../support/signal.js';
import { answeredSession } from '../support/answered-session.js';

const log = pino({ level: 'silent' });

interface OpenedStream {
  sampleRateHz: number;
  written: Int16Array[];
  finished: boolean;
  options: SpeechStreamOptions;
}

/** An engine that records what the pipeline opens and writes; answers one final per finish. */
class CapturingEngine implements SpeechEngine {
  readonly name = 'capturing';
  readonly opened: OpenedStream[] = [];
  readonly capabilities;

  constructor(sampleRatesHz: number[]) {
    this.capabilities = { sampleRatesHz, partials: false, languages: ['en-US'] };
  }

  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    const entry: OpenedStream = {
      sampleRateHz: options.sampleRateHz,
      written: [],
      finished: false,
      options,
    };
    this.opened.push(entry);
    return {
      write: (pcm) => void entry.written.push(pcm),
      finish: async () => {
        entry.finished = true;
        const samples = entry.written.reduce((n, p) => n + p.length, 0);
        options.onResult({
          resultId: 'r1',
          text: `final at ${entry.sampleRateHz}`,
          startMs: 0,
          endMs: (samples * 1000) / entry.sampleRateHz,
          isPartial: false,
        });
      },
      abort: () => undefined,
    };
  }

  async close(): Promise<void> {}
}

function pipelineFor(engine: SpeechEngine, audioSampleRateHz: number) {
  const factory = new TranscriptionPipelineFactory({
    engine,
    log,
    metrics: createMetrics(),
    config: { savePartialTranscripts: false, engineReconnectMaxMs: 1000 },
  });
  const segments: { Channel: string; Transcript: string; EndTime: number }[] = [];
  const call = { callId: 'rates', languageCode: 'en-US' } as CallData;
  const pipeline = factory.create({
    call,
    log,
    audioSampleRateHz,
    emit: (s) => segments.push(s),
  });
  return { pipeline, segments };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('pipeline sample rates', () => {
  it('opens engine streams at 16 kHz for wideband audio and passes the frames through as they are', async () => {
    const engine = new CapturingEngine([8000, 16_000]);
    const { pipeline } = pipelineFor(engine, 16_000);
    pipeline.start(0);
    await settle();
    const pcm = tone(300, 16_000, 320);
    pipeline.audio('CALLER', { pcm, sampleRateHz: 16_000 });
    await pipeline.finish();
    const caller = engine.opened.find((o) => o.options.channel === 'CALLER');
    expect(caller?.sampleRateHz).toBe(16_000);
    expect(caller?.written[0]).toBe(pcm);
  });

  it('resamples only for an engine that cannot take the rate', async () => {
    const only16k = new CapturingEngine([16_000]);
    const up = pipelineFor(only16k, 8000);
    up.pipeline.start(0);
    await settle();
    up.pipeline.audio('AGENT', { pcm: tone(300, 8000, 160), sampleRateHz: 8000 });
    await up.pipeline.finish();
    const agent = only16k.opened.find((o) => o.options.channel === 'AGENT');
    expect(agent?.sampleRateHz).toBe(16_000);
    expect(agent?.written[0]).toHaveLength(320);

    const only8k = new CapturingEngine([8000]);
    const down = pipelineFor(only8k, 16_000);
    down.pipeline.start(0);
    await settle();
    down.pipeline.audio('AGENT', { pcm: tone(300, 16_000, 320), sampleRateHz: 16_000 });
    await down.pipeline.finish();
    expect(only8k.opened.find((o) => o.options.channel === 'AGENT')?.written[0]).toHaveLength(160);
  });

  it('reopens at the new rate when a re-INVITE changes it, keeping the old stream finals and the clock', async () => {
    const engine = new CapturingEngine([8000, 16_000]);
    const { pipeline, segments } = pipelineFor(engine, 8000);
    pipeline.start(0);
    await settle();
    for (let i = 0; i < 50; i++)
      pipeline.audio('CALLER', { pcm: tone(300, 8000, 160), sampleRateHz: 8000 });
    for (let i = 0; i < 50; i++)
      pipeline.audio('CALLER', { pcm: tone(300, 16_000, 320), sampleRateHz: 16_000 });
    await settle();
    for (let i = 0; i < 50; i++)
      pipeline.audio('CALLER', { pcm: tone(300, 16_000, 320), sampleRateHz: 16_000 });
    await pipeline.finish();
    const caller = engine.opened.filter((o) => o.options.channel === 'CALLER');
    expect(caller.map((o) => o.sampleRateHz)).toEqual([8000, 16_000]);
    expect(caller.every((o) => o.finished)).toBe(true);
    const texts = segments.filter((s) => s.Channel === 'CALLER');
    expect(texts.map((s) => s.Transcript)).toEqual(['final at 8000', 'final at 16000']);
    // 1 s at 8 kHz, then 2 s at 16 kHz: the second stream's times start where the first ended.
    expect(texts.map((s) => s.EndTime)).toEqual([1, 3]);
  });

  it('refuses an engine no codec rate can reach', () => {
    let caught: unknown;
    try {
      pipelineFor(new CapturingEngine([44_100]), 8000);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('ENGINE_UNAVAILABLE');
  });
});

describe('recording rate', () => {
  let h: Awaited<ReturnType<typeof buildAppHarness>> | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('writes a wideband call at 16 kHz, resampling narrowband frames of the same call to it', async () => {
    h = await buildAppHarness({ policy: 'process' });
    const decision = await answeredSession(
      h.service,
      newSession({ callId: 'wide', audioSampleRateHz: 16_000 }),
    );
    if (!decision.accepted) throw new Error('refused');
    for (let i = 0; i < 50; i++) {
      decision.handle.audio('CALLER', { pcm: tone(400, 8000, 160), sampleRateHz: 8000 });
      decision.handle.audio('AGENT', { pcm: tone(700, 16_000, 320), sampleRateHz: 16_000 });
    }
    await decision.handle.end('bye');
    const wav = readFileSync(join(h.dataDir, 'recordings', 'wide.wav'));
    expect(wav.readUInt32LE(24)).toBe(16_000);
    expect(wav.readUInt16LE(22)).toBe(2);
    // One second per channel at 16 kHz, stereo, 16-bit.
    expect(wav.length - 44).toBe(16_000 * 2 * 2);
  });

  it('keeps narrowband calls at 8 kHz', async () => {
    h = await buildAppHarness({ policy: 'process' });
    const decision = await answeredSession(h.service, newSession({ callId: 'narrow' }));
    if (!decision.accepted) throw new Error('refused');
    for (let i = 0; i < 50; i++)
      decision.handle.audio('CALLER', { pcm: tone(400, 8000, 160), sampleRateHz: 8000 });
    await decision.handle.end('bye');
    const wav = readFileSync(join(h.dataDir, 'recordings', 'narrow.wav'));
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.length - 44).toBe(8000 * 2 * 2);
  });
});
