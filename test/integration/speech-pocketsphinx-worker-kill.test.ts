import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx/pocketsphinx-engine.js';
import { TranscriptionPipelineFactory } from '../../src/app/transcription-pipeline.js';
import type { AddTranscriptSegmentEvent } from '../../src/domain/call-event.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { SpeechResult } from '../../src/ports/speech-engine.js';
import { loadSampleCall } from '../contract/speech-engine-contract.js';
import { tools } from '../support/tools.js';
import { frame8k } from '../support/media.js';

const pocketsphinx = tools.pocketsphinx();
const sample = loadSampleCall();
const log = pino({ level: 'silent' });
const yieldLoop = () => new Promise((resolve) => setImmediate(resolve));

describe.skipIf(!pocketsphinx.available)('pocketsphinx worker death', () => {
  let engine: PocketsphinxEngine;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'callscribe-ps-kill-'));
    engine = await PocketsphinxEngine.create(
      {
        dataDir,
        pocketsphinxModelDir: '/usr/share/pocketsphinx/model/en-us',
        pocketsphinxWorkers: 2,
        pocketsphinxLanguageModel: undefined,
      },
      log,
    );
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("fails only the dead worker's stream, as retryable, and replaces the worker", async () => {
    const results: Record<Channel, SpeechResult[]> = { CALLER: [], AGENT: [] };
    const errors: Record<Channel, (Error & { retryable?: boolean })[]> = { CALLER: [], AGENT: [] };
    const open = (channel: Channel) =>
      engine.open({
        callId: 'kill-direct',
        channel,
        sampleRateHz: 8000,
        languageCode: 'en-US',
        log,
        onResult: (r) => results[channel].push(r),
        onError: (e) => errors[channel].push(e),
      });
    const caller = await open('CALLER');
    const agent = await open('AGENT');
    const before = engine.workers();
    const callerWorker = before.find((w) =>
      w.streams.some((s) => s.callId === 'kill-direct' && s.channel === 'CALLER'),
    );
    const agentWorker = before.find((w) =>
      w.streams.some((s) => s.callId === 'kill-direct' && s.channel === 'AGENT'),
    );
    expect(callerWorker).toBeDefined();
    expect(agentWorker?.index).not.toBe(callerWorker?.index);

    for (let ms = 0; ms < 3000; ms += 20) {
      caller.write(sample.pcm.CALLER.slice(ms * 8, ms * 8 + 160));
      agent.write(sample.pcm.AGENT.slice(ms * 8, ms * 8 + 160));
    }
    await engine.terminateWorker(callerWorker?.index ?? -1);
    await expect.poll(() => errors.CALLER.length, { timeout: 10_000 }).toBe(1);
    expect(errors.CALLER[0]?.retryable).toBe(true);

    // The other worker's stream goes on to its final.
    for (let ms = 3000; ms < 6000; ms += 20)
      agent.write(sample.pcm.AGENT.slice(ms * 8, ms * 8 + 160));
    await agent.finish();
    expect(errors.AGENT).toEqual([]);
    expect(results.AGENT.filter((r) => !r.isPartial).length).toBeGreaterThanOrEqual(1);
    const after = engine.workers();
    expect(after.find((w) => w.index === agentWorker?.index)?.threadId).toBe(agentWorker?.threadId);
    expect(after.find((w) => w.index === callerWorker?.index)?.threadId).not.toBe(
      callerWorker?.threadId,
    );
  }, 120_000);

  it('the pipeline reconnects the killed channel and keeps transcribing it', async () => {
    const metrics = createMetrics();
    const factory = new TranscriptionPipelineFactory({
      engine,
      log,
      metrics,
      config: { savePartialTranscripts: false, engineReconnectMaxMs: 1000 },
    });
    const segments: Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>[] = [];
    const call = { callId: 'kill-pipeline', languageCode: 'en-US' } as CallData;
    const pipeline = factory.create({ call, log, emit: (s) => segments.push(s) });
    pipeline.start(0);
    const play = async (fromMs: number, toMs: number) => {
      for (let ms = fromMs; ms < toMs; ms += 20) {
        for (const channel of ['CALLER', 'AGENT'] as Channel[]) {
          pipeline.audio(channel, frame8k(sample.pcm[channel].slice(ms * 8, ms * 8 + 160)));
        }
        if (ms % 500 === 0) await yieldLoop();
      }
    };
    await play(0, 11_000);
    await expect
      .poll(
        () =>
          engine
            .workers()
            .flatMap((w) => w.streams)
            .filter((s) => s.callId === 'kill-pipeline').length,
        { timeout: 60_000 },
      )
      .toBe(2);
    const callerWorker = engine
      .workers()
      .find((w) => w.streams.some((s) => s.callId === 'kill-pipeline' && s.channel === 'CALLER'));
    await engine.terminateWorker(callerWorker?.index ?? -1);
    await expect
      .poll(
        () =>
          engine
            .workers()
            .some((w) =>
              w.streams.some((s) => s.callId === 'kill-pipeline' && s.channel === 'CALLER'),
            ),
        { timeout: 60_000 },
      )
      .toBe(true);
    await play(11_000, 19_500);
    await pipeline.finish();
    const gaps = await metrics.engineGaps.get();
    expect(gaps.values.find((v) => v.labels.engine === 'pocketsphinx')?.value).toBe(1);
    // utt03 ("sure it is four five seven ...", 15.4–19.0 s) is transcribed by the new stream, at its call time.
    const late = segments.filter((s) => s.Channel === 'CALLER' && !s.IsPartial && s.StartTime > 14);
    expect(late.length).toBeGreaterThanOrEqual(1);
    expect(late[0]?.StartTime).toBeGreaterThan(14.8);
    expect(late[0]?.StartTime).toBeLessThan(16);
    expect(segments.some((s) => s.Channel === 'AGENT' && !s.IsPartial && s.StartTime > 10)).toBe(
      true,
    );
  }, 180_000);
});
