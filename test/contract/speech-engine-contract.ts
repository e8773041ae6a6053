import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeG711 } from '../../src/media/g711.js';
import type { Channel } from '../../src/domain/call.js';
import type { SpeechEngine, SpeechResult, SpeechStream } from '../../src/ports/speech-engine.js';
import { wordErrorRate } from '../support/wer.js';

export interface SampleUtterance {
  id: string;
  channel: Channel;
  startMs: number;
  endMs: number;
  text: string;
}

export interface SampleCall {
  pcm: Record<Channel, Int16Array>;
  utterances: SampleUtterance[];
}

const SAMPLES_DIR = join(import.meta.dirname, '../../samples');

/** samples/<name> (default support-call) as 8 kHz PCM16 per channel plus the reference utterances. */
export function loadSampleCall(name = 'support-call'): SampleCall {
  const dir = join(SAMPLES_DIR, name);
  const read = (file: string): Int16Array => decodeG711('PCMU', readFileSync(join(dir, file)));
  const utterances = readFileSync(join(dir, 'dialog.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [id = '', channel = '', start = '0', end = '0', text = ''] = line.split('\t');
      return {
        id,
        channel: channel as Channel,
        startMs: Number(start) * 1000,
        endMs: Number(end) * 1000,
        text,
      };
    });
  return { pcm: { CALLER: read('caller.pcmu'), AGENT: read('agent.pcmu') }, utterances };
}

/** The reference texts per channel, in order: what a fake engine should be scripted to say. */
export function referenceTexts(sample: SampleCall): Record<Channel, string[]> {
  return {
    CALLER: sample.utterances.filter((u) => u.channel === 'CALLER').map((u) => u.text),
    AGENT: sample.utterances.filter((u) => u.channel === 'AGENT').map((u) => u.text),
  };
}

export interface EngineUnderTest {
  engine: SpeechEngine;
  cleanup?: () => Promise<void>;
}

/** What the suite plays to an engine and what it expects back. */
export interface ContractStimulus {
  /** Mono PCM16 per channel at the given rate. */
  pcm(channel: Channel, sampleRateHz: number): Int16Array;
  utterances: SampleUtterance[];
  /** The WER check plays this much: the first two utterances of each channel and some quiet. */
  sliceMs: number;
}

/** Checks engines with a worker pool and a model file must also pass (sherpa-onnx families). */
export interface ExtendedContract {
  /** Input rates the WER and timing checks run at. */
  sampleRatesHz: number[];
  concurrentStreams: number;
  /** Kills the worker that holds the given call's streams, as a crash would. */
  crashWorker(engine: SpeechEngine, callId: string): Promise<void>;
  /** Starts the engine on a corrupt or incomplete model; must reject with a clear error. */
  startWithBadModel(): Promise<unknown>;
}

export function sampleCallStimulus(): ContractStimulus {
  const sample = loadSampleCall();
  return {
    pcm: (channel, sampleRateHz) => {
      if (sampleRateHz !== 8000) throw new Error('the sample call is 8 kHz');
      return sample.pcm[channel];
    },
    utterances: sample.utterances,
    sliceMs: SLICE_MS,
  };
}

interface Collected {
  stream: SpeechStream;
  results: SpeechResult[];
  errors: Error[];
}

const PACKET_MS = 20;
/** The first two utterances of each channel end before 19.0 s; the slice keeps some silence after. */
const SLICE_MS = 19_500;

/**
 * One suite every engine passes: it transcribes the start of the sample call well enough (WER
 * under the engine's own threshold), reports sane times, delivers the last final on finish()
 * and stays silent after abort(). Audio is written in 20 ms packets, faster than real time.
 */
export function describeSpeechEngineContract(
  name: string,
  make: () => Promise<EngineUnderTest>,
  options: {
    maxWer: number;
    skip?: boolean;
    stimulus?: () => ContractStimulus;
    extended?: ExtendedContract;
  },
): void {
  describe.skipIf(options.skip === true)(`speech engine contract: ${name}`, () => {
    const sample = (options.stimulus ?? sampleCallStimulus)();
    const reference: Record<Channel, string[]> = {
      CALLER: sample.utterances.filter((u) => u.channel === 'CALLER').map((u) => u.text),
      AGENT: sample.utterances.filter((u) => u.channel === 'AGENT').map((u) => u.text),
    };
    let under: EngineUnderTest;
    const log = pino({ level: 'silent' });

    beforeAll(async () => {
      under = await make();
    }, 60_000);
    afterAll(async () => {
      await under?.engine.close();
      await under?.cleanup?.();
    });

    const open = async (
      callId: string,
      channel: Channel,
      sampleRateHz = 8000,
    ): Promise<Collected> => {
      const collected: Omit<Collected, 'stream'> = { results: [], errors: [] };
      if (!under.engine.capabilities.sampleRatesHz.includes(sampleRateHz))
        throw new Error(`contract feeds ${sampleRateHz} Hz audio; engine must accept it`);
      const stream = await under.engine.open({
        callId,
        channel,
        sampleRateHz,
        languageCode: 'en-US',
        log,
        onResult: (r) => collected.results.push(r),
        onError: (e) => collected.errors.push(e),
      });
      return { stream, ...collected };
    };

    const feed = async (
      stream: SpeechStream,
      pcm: Int16Array,
      untilMs: number,
      sampleRateHz = 8000,
    ): Promise<void> => {
      const packet = (sampleRateHz * PACKET_MS) / 1000;
      const end = Math.min(pcm.length, (untilMs * sampleRateHz) / 1000);
      for (let offset = 0; offset < end; offset += packet) {
        stream.write(pcm.slice(offset, Math.min(end, offset + packet)));
        // Let the engine's I/O (worker messages, HTTP/2 frames) interleave with writing.
        if ((offset / packet) % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
    };

    const finalsText = (results: SpeechResult[]): string =>
      results
        .filter((r) => !r.isPartial)
        .map((r) => r.text)
        .join(' ');

    const rates = options.extended?.sampleRatesHz ?? [8000];
    it.each(rates)(
      `transcribes the first two utterances per channel with WER under ${options.maxWer} at %i Hz, with times on the right channel`,
      async (rateHz) => {
        const sliceMs = sample.sliceMs;
        const caller = await open(`contract-wer-${rateHz}`, 'CALLER', rateHz);
        const agent = await open(`contract-wer-${rateHz}`, 'AGENT', rateHz);
        await Promise.all([
          feed(caller.stream, sample.pcm('CALLER', rateHz), sliceMs, rateHz),
          feed(agent.stream, sample.pcm('AGENT', rateHz), sliceMs, rateHz),
        ]);
        await Promise.all([caller.stream.finish(), agent.stream.finish()]);
        expect(caller.errors).toEqual([]);
        expect(agent.errors).toEqual([]);
        const callerWer = wordErrorRate(
          reference.CALLER.slice(0, 2).join(' '),
          finalsText(caller.results),
        );
        const agentWer = wordErrorRate(
          reference.AGENT.slice(0, 2).join(' '),
          finalsText(agent.results),
        );
        const total =
          (callerWer.errors + agentWer.errors) /
          (callerWer.referenceWords + agentWer.referenceWords);
        console.info(
          `[${name} ${rateHz} Hz] WER caller ${callerWer.wer.toFixed(3)} agent ${agentWer.wer.toFixed(3)} total ${total.toFixed(3)}`,
        );
        expect(total).toBeLessThanOrEqual(options.maxWer);

        for (const { results, channel } of [
          { results: caller.results, channel: 'CALLER' as const },
          { results: agent.results, channel: 'AGENT' as const },
        ]) {
          const finals = results.filter((r) => !r.isPartial);
          expect(finals.length).toBeGreaterThanOrEqual(1);
          let previousEnd = 0;
          for (const r of results) {
            expect(r.startMs).toBeGreaterThanOrEqual(0);
            expect(r.endMs).toBeGreaterThanOrEqual(r.startMs);
            expect(r.endMs).toBeLessThanOrEqual(sliceMs + 1000);
          }
          for (const f of finals) {
            expect(f.startMs).toBeGreaterThanOrEqual(previousEnd - 50);
            previousEnd = f.endMs;
            // Each final overlaps a reference utterance of its channel.
            const overlaps = sample.utterances.some(
              (u) =>
                u.channel === channel && f.startMs < u.endMs + 500 && f.endMs > u.startMs - 500,
            );
            expect(overlaps, `final ${f.startMs}-${f.endMs} ms overlaps speech`).toBe(true);
          }
          const ids = new Set(finals.map((f) => f.resultId));
          expect(ids.size).toBe(finals.length);
        }
      },
      60_000,
    );

    it('delivers the final of an utterance cut off by finish()', async () => {
      const first = sample.utterances.find((u) => u.channel === 'AGENT');
      if (!first) throw new Error('sample has no agent utterance');
      const caller = await open('contract-finish', 'CALLER');
      const agent = await open('contract-finish', 'AGENT');
      // Stop right at the end of the speech: no trailing silence to end the utterance.
      await feed(agent.stream, sample.pcm('AGENT', 8000), first.endMs);
      await Promise.all([caller.stream.finish(), agent.stream.finish()]);
      const finals = agent.results.filter((r) => !r.isPartial);
      expect(finals.length).toBeGreaterThanOrEqual(1);
      expect(finalsText(agent.results).split(' ').length).toBeGreaterThanOrEqual(
        Math.min(3, first.text.split(' ').length),
      );
    }, 60_000);

    it('stays silent after abort()', async () => {
      const caller = await open('contract-abort', 'CALLER');
      const agent = await open('contract-abort', 'AGENT');
      await feed(agent.stream, sample.pcm('AGENT', 8000), 3000);
      agent.stream.abort();
      caller.stream.abort();
      const count = agent.results.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(agent.results.length).toBe(count);
      expect(agent.errors).toEqual([]);
      expect(caller.errors).toEqual([]);
      // The engine still serves new streams after an abort.
      const again = await open('contract-abort-2', 'AGENT');
      await feed(again.stream, sample.pcm('AGENT', 8000), 5000);
      await again.stream.finish();
      expect(again.results.filter((r) => !r.isPartial).length).toBeGreaterThanOrEqual(1);
    }, 60_000);

    const extended = options.extended;
    if (!extended) return;

    it('ends an utterance by itself (endpointing): the final comes before finish()', async () => {
      const first = sample.utterances.find((u) => u.channel === 'CALLER');
      if (!first) throw new Error('stimulus has no caller utterance');
      const caller = await open('contract-endpoint', 'CALLER');
      // The utterance, then 2.5 s of quiet: no finish() yet.
      await feed(caller.stream, sample.pcm('CALLER', 8000), first.endMs + 2500);
      await waitUntil(() => caller.results.some((r) => !r.isPartial), 10_000);
      const final = caller.results.find((r) => !r.isPartial);
      expect(final?.text).toBe(first.text);
      await caller.stream.finish();
    }, 60_000);

    it(`runs ${extended.concurrentStreams} concurrent streams, each with its own channel's words`, async () => {
      const calls = extended.concurrentStreams / 2;
      const opened = await Promise.all(
        Array.from({ length: calls }, (_, i) =>
          Promise.all([open(`contract-many-${i}`, 'CALLER'), open(`contract-many-${i}`, 'AGENT')]),
        ),
      );
      const untilMs = sample.sliceMs;
      await Promise.all(
        opened.flatMap(([caller, agent]) => [
          feed(caller.stream, sample.pcm('CALLER', 8000), untilMs),
          feed(agent.stream, sample.pcm('AGENT', 8000), untilMs),
        ]),
      );
      await Promise.all(opened.flatMap(([c, a]) => [c.stream.finish(), a.stream.finish()]));
      const expected = (channel: Channel) =>
        sample.utterances
          .filter((u) => u.channel === channel && u.endMs <= untilMs)
          .map((u) => u.text)
          .join(' ');
      for (const [caller, agent] of opened) {
        expect(caller.errors).toEqual([]);
        expect(agent.errors).toEqual([]);
        expect(finalsText(caller.results)).toBe(expected('CALLER'));
        expect(finalsText(agent.results)).toBe(expected('AGENT'));
      }
    }, 120_000);

    it('a crashed worker fails its streams as retryable, and new streams still work', async () => {
      const caller = await open('contract-crash', 'CALLER');
      await feed(caller.stream, sample.pcm('CALLER', 8000), 1000);
      await extended.crashWorker(under.engine, 'contract-crash');
      await waitUntil(() => caller.errors.length > 0, 10_000);
      expect(caller.errors[0]).toMatchObject({ retryable: true });
      const again = await open('contract-crash-2', 'CALLER');
      await feed(again.stream, sample.pcm('CALLER', 8000), sample.sliceMs);
      await again.stream.finish();
      expect(again.errors).toEqual([]);
      expect(finalsText(again.results)).not.toBe('');
    }, 60_000);

    it('refuses a corrupt model at start with one clear error', async () => {
      const error = await extended.startWithBadModel().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ENGINE_MODEL_MISSING' });
      console.info(`[${name}] bad model: ${(error as Error).message}`);
    }, 120_000);
  });
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
