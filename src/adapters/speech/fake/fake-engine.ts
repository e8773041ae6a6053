import type { EngineFailureReason } from '../../../domain/engine-failover.js';
import { AppError } from '../../../domain/errors.js';
import type {
  SpeechEngine,
  SpeechEngineCapabilities,
  SpeechResult,
  SpeechStream,
  SpeechStreamOptions,
} from '../../../ports/speech-engine.js';
import { EnergyGate } from '../audio/energy-gate.js';
import { PcmFramer } from '../audio/pcm-framer.js';
import type { FakeScript } from './fake-script.js';

type Channel = SpeechStreamOptions['channel'];

interface OpenStream {
  options: SpeechStreamOptions;
  fail(error: AppError): void;
}

/** Audio a stream key (callId/channel) received, for tests that check nothing leaks while paused. */
export interface FakeStreamStats {
  opens: number;
  audioMs: number;
}

/**
 * A scripted engine for tests, demos and UI work: no model, deterministic text, real timing
 * from the audio, and failures on demand (scripted or injected). It keeps nothing about a call
 * once the call's streams are closed (each stream numbers its own utterances), so it can carry
 * any number of calls in a soak; per-call counters for tests are opt-in (`keepStats`).
 */
export class FakeSpeechEngine implements SpeechEngine {
  readonly name: string;
  readonly capabilities: SpeechEngineCapabilities = {
    sampleRatesHz: [8000, 16_000],
    partials: true,
    languages: ['en-US', 'en-GB', 'es-US', 'de-DE', 'fr-FR'],
  };
  readonly #script: FakeScript;
  readonly #failures: FakeScript['failures'];
  #openFailures: number;
  /** Only with `keepStats`: counters per callId/channel, never dropped (tests only). */
  readonly #stats: Map<string, FakeStreamStats> | undefined;
  readonly #open = new Set<OpenStream>();
  #closed = false;

  /**
   * `name` tells two fakes apart (e.g. a primary and a fallback in tests); `keepStats` makes
   * `stats()` answer, at the price of a counter per call kept for the engine's life.
   */
  constructor(script: FakeScript, name = 'fake', options: { keepStats?: boolean } = {}) {
    this.name = name;
    this.#script = script;
    this.#failures = [...script.failures];
    this.#openFailures = script.openFailures;
    this.#stats = options.keepStats ? new Map() : undefined;
  }

  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    if (this.#closed) throw new AppError('ENGINE_UNAVAILABLE', 'speech engine is closed');
    const key = `${options.callId}/${options.channel}`;
    const stats = this.#stats?.get(key) ?? { opens: 0, audioMs: 0 };
    this.#stats?.set(key, stats);
    stats.opens += 1;
    if (this.#openFailures > 0) {
      this.#openFailures -= 1;
      throw new AppError('ENGINE_UNAVAILABLE', 'scripted open failure', { retryable: true });
    }
    let utterances = 0;
    const stream = new FakeStream(options, this.#script, {
      nextText: () => this.#text(options.channel, utterances++),
      audioWritten: (ms, streamMs) => {
        stats.audioMs += ms;
        this.#maybeFail(options.channel, streamMs, entry);
      },
      closed: () => this.#open.delete(entry),
    });
    const entry: OpenStream = { options, fail: (error) => stream.fail(error) };
    this.#open.add(entry);
    return stream;
  }

  /** Fails every open stream (of one channel, if given), as an engine outage would. */
  injectFailure(
    options: { channel?: Channel; retryable?: boolean; reason?: EngineFailureReason } = {},
  ): number {
    let failed = 0;
    for (const entry of [...this.#open]) {
      if (options.channel !== undefined && entry.options.channel !== options.channel) continue;
      entry.fail(
        new AppError('ENGINE_STREAM_FAILED', 'injected failure', {
          retryable: options.retryable ?? true,
          details: { reason: options.reason ?? 'crash' },
        }),
      );
      failed += 1;
    }
    return failed;
  }

  /** The next `count` open() calls fail with a retryable error. */
  failNextOpens(count: number): void {
    this.#openFailures += count;
  }

  stats(callId: string, channel: Channel): FakeStreamStats {
    if (this.#stats === undefined) throw new Error('FakeSpeechEngine made without keepStats');
    return { ...(this.#stats.get(`${callId}/${channel}`) ?? { opens: 0, audioMs: 0 }) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of [...this.#open])
      entry.fail(new AppError('ENGINE_UNAVAILABLE', 'engine closed'));
  }

  #text(channel: Channel, index: number): string {
    return (
      this.#script.texts[channel]?.[index] ?? `${channel.toLowerCase()} utterance ${index + 1}`
    );
  }

  #maybeFail(channel: Channel, streamMs: number, entry: OpenStream): void {
    if (this.#failures.length === 0) return;
    const index = this.#failures.findIndex(
      (f) => (f.channel === undefined || f.channel === channel) && streamMs >= f.afterMs,
    );
    const failure = this.#failures[index];
    if (!failure) return;
    this.#failures.splice(index, 1);
    entry.fail(
      new AppError('ENGINE_STREAM_FAILED', 'scripted failure', { retryable: failure.retryable }),
    );
  }
}

const FRAME_MS = 20;

class FakeStream implements SpeechStream {
  readonly #options: SpeechStreamOptions;
  readonly #script: FakeScript;
  readonly #hooks: {
    nextText(): string;
    audioWritten(ms: number, streamMs: number): void;
    closed(): void;
  };
  readonly #framer: PcmFramer;
  readonly #gate = new EnergyGate();
  #delivery: Promise<void> = Promise.resolve();
  #done = false;
  #aborted = false;
  #timeMs = 0;
  #utterance = 0;
  #startMs: number | undefined;
  #lastVoicedEndMs = 0;
  #voicedMs = 0;
  #quietMs = 0;
  #partials = 0;
  #text = '';

  constructor(
    options: SpeechStreamOptions,
    script: FakeScript,
    hooks: { nextText(): string; audioWritten(ms: number, streamMs: number): void; closed(): void },
  ) {
    this.#options = options;
    this.#script = script;
    this.#hooks = hooks;
    this.#framer = new PcmFramer((options.sampleRateHz * FRAME_MS) / 1000);
  }

  write(pcm: Int16Array): void {
    if (this.#done) return;
    this.#framer.visit(pcm, this.#visitFrame);
  }

  // One closure for the stream's life, not one per write: this runs for every packet of every call.
  readonly #visitFrame = (frame: Int16Array): boolean => {
    this.#frame(frame);
    return !this.#done;
  };

  async finish(): Promise<void> {
    if (this.#done) return;
    if (this.#startMs !== undefined && this.#voicedMs >= this.#script.minUtteranceMs) this.#final();
    this.#done = true;
    this.#hooks.closed();
    await this.#delivery;
  }

  abort(): void {
    this.#done = true;
    this.#aborted = true;
    this.#hooks.closed();
  }

  fail(error: AppError): void {
    if (this.#done) return;
    this.#done = true;
    this.#aborted = true;
    this.#hooks.closed();
    this.#options.onError(error);
  }

  #frame(frame: Int16Array): void {
    const startMs = this.#timeMs;
    this.#timeMs += FRAME_MS;
    if (this.#gate.isVoiced(frame)) {
      this.#startMs ??= startMs;
      this.#lastVoicedEndMs = this.#timeMs;
      this.#voicedMs += FRAME_MS;
      this.#quietMs = 0;
      if (this.#text === '' && this.#voicedMs >= this.#script.minUtteranceMs)
        this.#text = this.#hooks.nextText();
      const due = Math.floor((this.#timeMs - this.#startMs) / this.#script.partialEveryMs);
      if (this.#text !== '' && due > this.#partials) {
        this.#partials = due;
        this.#deliver(this.#result(true));
      }
    } else if (this.#startMs !== undefined) {
      this.#quietMs += FRAME_MS;
      if (this.#quietMs >= this.#script.endSilenceMs) {
        if (this.#voicedMs >= this.#script.minUtteranceMs) this.#final();
        else this.#reset();
      }
    }
    this.#hooks.audioWritten(FRAME_MS, this.#timeMs);
  }

  #final(): void {
    if (this.#text === '') this.#text = this.#hooks.nextText();
    this.#deliver(this.#result(false));
    this.#utterance += 1;
    this.#reset();
  }

  #reset(): void {
    this.#startMs = undefined;
    this.#voicedMs = 0;
    this.#quietMs = 0;
    this.#partials = 0;
    this.#text = '';
  }

  #result(isPartial: boolean): SpeechResult {
    const words = this.#text.split(' ');
    const shown = isPartial
      ? words.slice(0, Math.max(1, Math.min(words.length - 1, this.#partials * 2)))
      : words;
    const startMs = this.#startMs ?? 0;
    return {
      resultId: String(this.#utterance),
      text: shown.join(' '),
      startMs,
      endMs: isPartial ? this.#timeMs : this.#lastVoicedEndMs,
      isPartial,
      confidence: isPartial ? 0.5 : 0.9,
    };
  }

  #deliver(result: SpeechResult): void {
    const delayMs = this.#script.resultDelayMs;
    this.#delivery = this.#delivery.then(async () => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      else await Promise.resolve();
      if (!this.#aborted) this.#options.onResult(result);
    });
  }
}
