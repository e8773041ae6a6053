import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { AddTranscriptSegmentEvent } from '../../src/domain/call-event.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import type { EngineFailover } from '../../src/domain/engine-failover.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { CallPipeline } from '../../src/ports/call-pipeline.js';
import { loadSampleCall, referenceTexts } from '../contract/speech-engine-contract.js';
import { buildAppHarness, newSession } from '../support/app-harness.js';
import { frame8k } from '../support/media.js';
import { answeredSession } from '../support/answered-session.js';

type Segment = Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>;

const sample = loadSampleCall();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function call(callId: string): CallData {
  return { callId, languageCode: 'en-US' } as CallData;
}

function engines() {
  const primary = new FakeSpeechEngine(
    parseFakeScript({ texts: referenceTexts(sample) }),
    'primary',
    { keepStats: true },
  );
  const fallback = new FakeSpeechEngine(
    parseFakeScript({ texts: { CALLER: [], AGENT: [] } }),
    'fallback',
    { keepStats: true },
  );
  return { primary, fallback };
}

function setup(options: { retryBudget?: number; now?: () => number } = {}) {
  const { primary, fallback } = engines();
  const metrics = createMetrics();
  const factory = new TranscriptionPipelineFactory({
    engine: primary,
    fallbackEngine: fallback,
    log,
    metrics,
    config: {
      savePartialTranscripts: false,
      engineReconnectMaxMs: 1000,
      engineRetryBudget: options.retryBudget ?? 2,
      engineFailbackMs: 60_000,
    },
    ...(options.now ? { now: options.now } : {}),
  });
  const newCall = (callId: string) => {
    const segments: Segment[] = [];
    const failovers: EngineFailover[] = [];
    const pipeline = factory.create({
      call: call(callId),
      log,
      emit: (s) => segments.push(s),
      engineFailover: (f) => failovers.push(f),
    });
    return { pipeline, segments, failovers };
  };
  return { primary, fallback, metrics, factory, newCall };
}

async function play(pipeline: CallPipeline, fromMs: number, toMs: number): Promise<void> {
  for (let ms = fromMs; ms < toMs; ms += 20) {
    for (const channel of ['CALLER', 'AGENT'] as Channel[]) {
      const pcm = sample.pcm[channel];
      pipeline.audio(channel, frame8k(pcm.slice(ms * 8, Math.min(pcm.length, (ms + 20) * 8))));
    }
    if (ms % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

const finals = (segments: Segment[], channel: Channel) =>
  segments.filter((s) => !s.IsPartial && s.Channel === channel);

describe('engine failover', () => {
  it('a quota refusal moves the channel to the fallback at once, replaying the audio since the last final', async () => {
    const { primary, fallback, metrics, newCall } = setup();
    const { pipeline, segments, failovers } = newCall('quota-1');
    pipeline.start(0);
    // utt01 (caller) ends at 5.4 s; fail in the middle of the caller's next turn (utt03).
    await play(pipeline, 0, 15_000);
    const confirmedCaller = finals(segments, 'CALLER').length;
    expect(confirmedCaller).toBeGreaterThanOrEqual(1);
    const lastFinalEnd = Math.max(...finals(segments, 'CALLER').map((s) => s.EndTime));
    expect(primary.injectFailure({ channel: 'CALLER', reason: 'quota' })).toBe(1);
    await play(pipeline, 15_000, 30_000);
    await pipeline.finish();

    expect(failovers).toHaveLength(1);
    expect(failovers[0]).toMatchObject({
      from: 'primary',
      to: 'fallback',
      reason: 'quota',
      channel: 'CALLER',
    });
    expect(failovers[0]?.switchMs).toBeGreaterThanOrEqual(0);
    // No reconnect to the primary: one stream each.
    expect(primary.stats('quota-1', 'CALLER').opens).toBe(1);
    expect(fallback.stats('quota-1', 'CALLER').opens).toBe(1);
    // The fallback heard everything from the end of the last final on (nothing silently dropped).
    const fedMs = fallback.stats('quota-1', 'CALLER').audioMs;
    expect(fedMs).toBeGreaterThanOrEqual(30_000 - lastFinalEnd * 1000 - 40);
    // Its segments carry call times after the last confirmed final.
    const after = finals(segments, 'CALLER').slice(confirmedCaller);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[0]?.Transcript).toMatch(/^caller utterance/);
    expect(after[0]?.StartTime).toBeGreaterThanOrEqual(lastFinalEnd - 0.05);
    // The agent channel stays on the primary.
    expect(fallback.stats('quota-1', 'AGENT').opens).toBe(0);
    const counted = await metrics.engineFailovers.get();
    expect(counted.values).toEqual([
      expect.objectContaining({
        labels: { from: 'primary', to: 'fallback', reason: 'quota' },
        value: 1,
      }),
    ]);
  });

  it('a crash reconnects to the primary within the retry budget, then fails over', async () => {
    const { primary, fallback, newCall } = setup({ retryBudget: 1 });
    const { pipeline, failovers } = newCall('crash-1');
    pipeline.start(0);
    await play(pipeline, 0, 3000);
    primary.injectFailure({ channel: 'AGENT', reason: 'crash' });
    await sleep(400);
    expect(primary.stats('crash-1', 'AGENT').opens).toBe(2);
    expect(failovers).toEqual([]);
    // A second crash before the reconnected stream produced anything: the budget is spent.
    primary.injectFailure({ channel: 'AGENT', reason: 'crash' });
    await play(pipeline, 3000, 12_000);
    await pipeline.finish();
    expect(failovers).toMatchObject([{ reason: 'crash', channel: 'AGENT' }]);
    expect(fallback.stats('crash-1', 'AGENT').opens).toBe(1);
  });

  it('new calls use the fallback while the primary is in back-off, and the primary again after it', async () => {
    let nowMs = 1_000_000;
    const { primary, fallback, newCall } = setup({ now: () => nowMs });
    const first = newCall('backoff-1');
    first.pipeline.start(0);
    await play(first.pipeline, 0, 2000);
    primary.injectFailure({ channel: 'CALLER', reason: 'connection' });
    await play(first.pipeline, 2000, 3000);
    await first.pipeline.finish();
    expect(first.failovers).toMatchObject([{ reason: 'connection' }]);

    const second = newCall('backoff-2');
    second.pipeline.start(0);
    await play(second.pipeline, 0, 1000);
    await second.pipeline.finish();
    expect(second.failovers).toMatchObject([
      { from: 'primary', to: 'fallback', reason: 'backoff' },
    ]);
    expect(primary.stats('backoff-2', 'CALLER').opens).toBe(0);
    expect(fallback.stats('backoff-2', 'CALLER').opens).toBe(1);

    nowMs += 61_000;
    const third = newCall('backoff-3');
    third.pipeline.start(0);
    await play(third.pipeline, 0, 1000);
    await third.pipeline.finish();
    expect(third.failovers).toEqual([]);
    expect(primary.stats('backoff-3', 'CALLER').opens).toBe(1);
  });

  it('is stored on the call record and sent as a CALL_STATE event, once per call', async () => {
    const { primary, factory } = setup();
    const h = await buildAppHarness({ pipelines: factory, policy: 'process' });
    try {
      const decision = await answeredSession(h.service, newSession({ callId: 'rec-1' }));
      if (!decision.accepted) throw new Error('refused');
      for (let ms = 0; ms < 2000; ms += 20) {
        decision.handle.audio('CALLER', frame8k(sample.pcm.CALLER.slice(ms * 8, ms * 8 + 160)));
        decision.handle.audio('AGENT', frame8k(sample.pcm.AGENT.slice(ms * 8, ms * 8 + 160)));
      }
      primary.injectFailure({ reason: 'quota' });
      await expect
        .poll(async () => (await h.store.get('rec-1'))?.call.engineFailover?.to, { timeout: 5000 })
        .toBe('fallback');
      const stored = await h.store.get('rec-1');
      expect(stored?.call.engineFailover).toMatchObject({ from: 'primary', reason: 'quota' });
      const events = await h.eventStream.read({ callId: 'rec-1' });
      const failoverEvents = events
        .map((e) => e.event)
        .filter((e) => e.EventType === 'CALL_STATE' && e.EngineFailover !== undefined);
      expect(failoverEvents).toHaveLength(1);
      expect(failoverEvents[0]).toMatchObject({
        EngineFailover: { From: 'primary', To: 'fallback', Reason: 'quota' },
      });
    } finally {
      await h.close();
    }
  });
});
