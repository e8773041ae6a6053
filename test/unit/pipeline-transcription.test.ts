import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import {
  parseFakeScript,
  type FakeScriptInput,
} from '../../src/adapters/speech/fake/fake-script.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { AddTranscriptSegmentEvent } from '../../src/domain/call-event.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { CallPipeline } from '../../src/ports/call-pipeline.js';
import type { SpeechEngineCapabilities } from '../../src/ports/speech-engine.js';
import { loadSampleCall, referenceTexts } from '../contract/speech-engine-contract.js';
import { frame8k } from '../support/media.js';

type Segment = Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>;

const sample = loadSampleCall();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function callData(callId: string): CallData {
  return {
    callId,
    originalCallId: callId,
    state: 'PROCESSING',
    callStreamingStartTime: '2026-11-25T00:00:00.000Z',
    callProcessingStartTime: '2026-11-25T00:00:00.000Z',
    callStreamingEndTime: '',
    shouldProcessCall: true,
    shouldRecordCall: false,
    fromNumber: '+15550100',
    toNumber: '+15550199',
    agentId: null,
    metadatajson: null,
    languageCode: 'en-US',
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'label-order',
      swappedByHook: false,
    },
    startCallProcessingEvent: null,
    endReason: null,
    ownerNodeId: 'test',
    siprec: null,
    processedMsBeforePause: 0,
  };
}

function setup(
  options: { script?: FakeScriptInput; savePartials?: boolean; engine?: FakeSpeechEngine } = {},
) {
  const engine =
    options.engine ??
    new FakeSpeechEngine(
      parseFakeScript({ texts: referenceTexts(sample), ...options.script }),
      'fake',
      { keepStats: true },
    );
  const metrics = createMetrics();
  const factory = new TranscriptionPipelineFactory({
    engine,
    log,
    metrics,
    config: { savePartialTranscripts: options.savePartials ?? true, engineReconnectMaxMs: 2000 },
  });
  const segments: Segment[] = [];
  const callId = `call-${Math.random().toString(36).slice(2)}`;
  const pipeline = factory.create({ call: callData(callId), log, emit: (s) => segments.push(s) });
  return { engine, metrics, factory, pipeline, segments, callId };
}

/** Both channels of the sample, [fromMs, toMs), in 20 ms packets. */
async function play(pipeline: CallPipeline, fromMs: number, toMs: number): Promise<void> {
  for (let ms = fromMs; ms < toMs; ms += 20) {
    for (const channel of ['CALLER', 'AGENT'] as Channel[]) {
      const pcm = sample.pcm[channel];
      pipeline.audio(channel, frame8k(pcm.slice(ms * 8, Math.min(pcm.length, (ms + 20) * 8))));
    }
    if (ms % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

const finals = (segments: Segment[]) => segments.filter((s) => !s.IsPartial);
const utterance = (id: string) => {
  const u = sample.utterances.find((x) => x.id === id);
  if (!u) throw new Error(`no ${id}`);
  return u;
};

describe('TranscriptionPipeline', () => {
  it('emits finals with call-relative times and stable segment ids that partials share', async () => {
    const { pipeline, segments } = setup();
    pipeline.start(0);
    await play(pipeline, 0, 11_000);
    await pipeline.finish();
    const agent = finals(segments).find((s) => s.Channel === 'AGENT');
    expect(agent?.Transcript).toBe(utterance('utt00').text);
    expect(agent?.StartTime).toBeCloseTo(utterance('utt00').startMs / 1000, 0);
    expect(agent?.EndTime).toBeCloseTo(utterance('utt00').endMs / 1000, 0);
    const partials = segments.filter((s) => s.IsPartial && s.SegmentId === agent?.SegmentId);
    expect(partials.length).toBeGreaterThan(0);
    expect(new Set(finals(segments).map((s) => s.SegmentId)).size).toBe(finals(segments).length);
  });

  it('continues offsets across pause and resume, and sends no audio while paused', async () => {
    const { pipeline, segments, engine, callId } = setup();
    pipeline.start(0);
    await play(pipeline, 0, 10_600);
    const processedMs = await pipeline.pause();
    expect(processedMs).toBe(10_600);
    const sentBefore = engine.stats(callId, 'AGENT').audioMs;
    // Audio during the pause is the edge's to drop, but a pipeline that gets some must not forward it.
    await play(pipeline, 10_600, 12_000);
    expect(engine.stats(callId, 'AGENT').audioMs).toBe(sentBefore);

    pipeline.start(processedMs);
    await play(pipeline, 12_000, 19_500);
    await pipeline.finish();
    expect(engine.stats(callId, 'AGENT').audioMs).toBe(sentBefore + 7_500);
    // After resume the call's clock continues at 10.6 s, so utt02 (spoken at 10.92 s, of which
    // 10.92–12.0 s fell in the pause) starts at about 10.6 s and the next caller turn at ~13.95 s.
    const caller = finals(segments).filter((s) => s.Channel === 'CALLER');
    const utt03 = caller.find((s) => s.StartTime > 10.6);
    expect(utt03).toBeDefined();
    expect(utt03?.StartTime).toBeCloseTo((utterance('utt03').startMs - 1400) / 1000, 0);
    expect(new Set(finals(segments).map((s) => s.SegmentId)).size).toBe(finals(segments).length);
  });

  it('reconnects after an engine failure; the gap is counted and times keep counting', async () => {
    const { pipeline, segments, engine, metrics, callId } = setup();
    pipeline.start(0);
    await play(pipeline, 0, 11_000);
    expect(engine.injectFailure({ channel: 'CALLER', retryable: true })).toBe(1);
    // The outage: this audio is dropped, but the clock runs on.
    await play(pipeline, 11_000, 12_000);
    await sleep(600);
    await play(pipeline, 12_000, 19_500);
    await pipeline.finish();
    expect(engine.stats(callId, 'CALLER').opens).toBe(2);
    const gaps = await metrics.engineGaps.get();
    expect(gaps.values.find((v) => v.labels.engine === 'fake')?.value).toBe(1);
    const utt03 = finals(segments).find((s) => s.Channel === 'CALLER' && s.StartTime > 12);
    expect(utt03?.StartTime).toBeCloseTo(utterance('utt03').startMs / 1000, 0);
    const utt01 = finals(segments).find((s) => s.Channel === 'CALLER' && s.StartTime < 12);
    expect(utt03?.SegmentId).not.toBe(utt01?.SegmentId);
  });

  it('retries a failing open with back-off until the engine is back', async () => {
    const { pipeline, segments, engine, callId } = setup({ script: { openFailures: 2 } });
    pipeline.start(0);
    await sleep(1000);
    await play(pipeline, 0, 5_200);
    await pipeline.finish();
    expect(engine.stats(callId, 'CALLER').opens + engine.stats(callId, 'AGENT').opens).toBe(4);
    expect(finals(segments).some((s) => s.Channel === 'AGENT')).toBe(true);
  });

  it('flushes the open utterance at finish()', async () => {
    const { pipeline, segments } = setup();
    pipeline.start(0);
    await play(pipeline, 0, utterance('utt00').endMs);
    expect(finals(segments)).toEqual([]);
    await pipeline.finish();
    expect(finals(segments).map((s) => s.Transcript)).toEqual([utterance('utt00').text]);
  });

  it('drops partials when savePartialTranscripts is off', async () => {
    const { pipeline, segments } = setup({ savePartials: false });
    pipeline.start(0);
    await play(pipeline, 0, 6_000);
    await pipeline.finish();
    expect(segments.length).toBeGreaterThan(0);
    expect(segments.every((s) => !s.IsPartial)).toBe(true);
  });

  it('upsamples for an engine that only takes 16 kHz', async () => {
    class WidebandFake extends FakeSpeechEngine {
      override readonly capabilities: SpeechEngineCapabilities = {
        sampleRatesHz: [16_000],
        partials: true,
        languages: ['en-US'],
      };
    }
    const engine = new WidebandFake(parseFakeScript({ texts: referenceTexts(sample) }), 'fake', {
      keepStats: true,
    });
    const { pipeline, segments, callId } = setup({ engine });
    pipeline.start(0);
    await play(pipeline, 0, 6_000);
    await pipeline.finish();
    expect(engine.stats(callId, 'AGENT').audioMs).toBe(6_000);
    expect(finals(segments).find((s) => s.Channel === 'AGENT')?.StartTime).toBeCloseTo(0, 0);
  });
});
