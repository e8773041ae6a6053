import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalCallAudio } from '../../src/app/local-call-audio.js';
import type { CallData, Channel } from '../../src/domain/call.js';
import type { AudioFrame } from '../../src/media/audio-frame.js';
import type { CallPipeline, CallPipelineFactory } from '../../src/ports/call-pipeline.js';
import type { CallRecorder, RecordingWriter } from '../../src/ports/call-recorder.js';

type Seen = { channel: Channel | 'silence'; samples: number[] };

/** A pipeline and a recording that note what reaches them (copies: frames are lent). */
function harness(chunkMs: number) {
  const engine: Seen[] = [];
  const recording: Seen[] = [];
  const pipeline: CallPipeline = {
    start: () => {},
    pause: async () => 0,
    audio: (channel: Channel, frame: AudioFrame) =>
      engine.push({ channel, samples: [...frame.pcm] }),
    finish: async () => {},
  };
  const pipelines: CallPipelineFactory = { create: () => pipeline, close: async () => {} };
  const writer: RecordingWriter = {
    sampleRateHz: 8000,
    write: (channel: Channel, frame: AudioFrame) =>
      recording.push({
        channel: frame.pcm.every((s) => s === 0) ? 'silence' : channel,
        samples: [...frame.pcm],
      }),
    close: async () => 'x.wav',
  };
  const recorder: CallRecorder = {
    open: () => writer,
    pathFor: async () => undefined,
    recoverInterrupted: async () => [],
  };
  const call = { callId: 'c1', shouldRecordCall: true } as CallData;
  const audio = new LocalCallAudio(
    { pipelines, recorder, recordCalls: true, chunkMs },
    {
      call,
      audioSampleRateHz: 8000,
      log: pino({ level: 'silent' }),
      emit: () => {},
      engineFailover: () => {},
    },
  );
  return { audio, engine, recording };
}

const packet = (from: number): AudioFrame => ({
  pcm: Int16Array.from({ length: 160 }, (_, i) => from + i + 1),
  sampleRateHz: 8000,
});

describe('LocalCallAudio hands audio on in chunks', () => {
  it('gives engine and recording 100 ms chunks, each side in order', () => {
    const { audio, engine, recording } = harness(100);
    audio.start(0);
    for (let k = 0; k < 10; k++) {
      audio.audio('CALLER', packet(k * 160));
      audio.audio('AGENT', packet(10_000 + k * 160));
    }
    expect(engine.map((s) => [s.channel, s.samples.length])).toEqual([
      ['CALLER', 800],
      ['AGENT', 800],
      ['CALLER', 800],
      ['AGENT', 800],
    ]);
    expect(engine.filter((s) => s.channel === 'CALLER').flatMap((s) => s.samples)).toEqual(
      Array.from({ length: 1600 }, (_, i) => i + 1),
    );
    expect(recording.map((s) => s.channel)).toEqual(engine.map((s) => s.channel));
  });

  it('hands on the short chunk it holds at a pause, a stop, the end and before silence', async () => {
    for (const step of ['pause', 'stop', 'finish', 'silence'] as const) {
      const { audio, engine, recording } = harness(100);
      audio.start(0);
      audio.audio('CALLER', packet(0));
      audio.audio('AGENT', packet(500));
      expect(engine).toEqual([]);
      if (step === 'pause') await audio.pause();
      if (step === 'stop') audio.stopAudio();
      if (step === 'finish') await audio.finish();
      if (step === 'silence') audio.recordSilence(['CALLER', 'AGENT'], 20);
      expect(engine.map((s) => [s.channel, s.samples.length])).toEqual([
        ['CALLER', 160],
        ['AGENT', 160],
      ]);
      // Audio first, then the silence after it.
      expect(recording.slice(0, 2).map((s) => s.channel)).toEqual(['CALLER', 'AGENT']);
      if (step === 'silence')
        expect(recording.slice(2).map((s) => s.channel)).toEqual(['silence', 'silence']);
      // Nothing is taken once stopped.
      if (step !== 'silence') {
        audio.audio('CALLER', packet(0));
        expect(engine).toHaveLength(2);
      }
    }
  });

  it('a side that goes quiet hands on what it holds two chunks of the other side later', () => {
    const { audio, engine } = harness(100);
    audio.start(0);
    audio.audio('AGENT', packet(0)); // then the agent is held: no more packets
    for (let k = 0; k < 10; k++) audio.audio('CALLER', packet(k * 160));
    expect(engine.map((s) => [s.channel, s.samples.length])).toEqual([
      ['CALLER', 800],
      ['CALLER', 800],
      ['AGENT', 160],
    ]);
  });

  it('hands every frame on as it comes with chunkMs 0', () => {
    const { audio, engine } = harness(0);
    audio.start(0);
    audio.audio('CALLER', packet(0));
    expect(engine).toEqual([{ channel: 'CALLER', samples: [...packet(0).pcm] }]);
  });
});
