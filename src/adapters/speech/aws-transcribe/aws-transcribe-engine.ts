import {
  StartStreamTranscriptionCommand,
  TranscribeStreamingClient,
  type LanguageCode,
  type Result as TranscribeResult,
  type TranscribeStreamingClientConfig,
  type TranscriptResultStream,
} from '@aws-sdk/client-transcribe-streaming';
import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { AppError } from '../../../domain/errors.js';
import type {
  SpeechEngine,
  SpeechEngineCapabilities,
  SpeechResult,
  SpeechStream,
  SpeechStreamOptions,
} from '../../../ports/speech-engine.js';
import { AudioChunkQueue } from './audio-chunk-queue.js';
import { classifyTranscribeError } from './classify-transcribe-error.js';

export type AwsTranscribeConfig = Pick<
  Config,
  | 'awsRegion'
  | 'awsTranscribeEndpoint'
  | 'awsVocabularyName'
  | 'awsPiiRedaction'
  | 'awsPiiEntityTypes'
>;

const CHUNK_MS = 100;

/**
 * Amazon Transcribe streaming, one StartStreamTranscription per channel at 8 kHz PCM. Separate
 * streams (rather than one two-channel stream with channel identification) match the port's mono
 * streams and let one channel reconnect without touching the other; the price is that AWS bills
 * both streams' minutes. Credentials come from the SDK's default provider chain.
 */
export class AwsTranscribeEngine implements SpeechEngine {
  readonly name = 'aws-transcribe';
  readonly capabilities: SpeechEngineCapabilities = {
    sampleRatesHz: [8000, 16_000],
    partials: true,
    languages: [
      'en-US',
      'en-GB',
      'en-AU',
      'es-US',
      'fr-CA',
      'fr-FR',
      'de-DE',
      'it-IT',
      'pt-BR',
      'ja-JP',
      'ko-KR',
      'zh-CN',
    ],
  };
  readonly #client: TranscribeStreamingClient;
  readonly #config: AwsTranscribeConfig;
  readonly #log: Logger;

  /** `clientOverrides` is for tests and operators with unusual credential setups. */
  constructor(
    config: AwsTranscribeConfig,
    log: Logger,
    clientOverrides: Partial<TranscribeStreamingClientConfig> = {},
  ) {
    this.#config = config;
    this.#log = log.child({ engine: 'aws-transcribe' });
    const sdkLog = this.#log.child({ component: 'aws-sdk' });
    this.#client = new TranscribeStreamingClient({
      region: config.awsRegion,
      // The SDK otherwise prints stream aborts to the console; they are expected and logged here.
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (...args: unknown[]) => sdkLog.debug({ sdk: args.map(String) }, 'aws sdk warning'),
        error: (...args: unknown[]) => sdkLog.debug({ sdk: args.map(String) }, 'aws sdk error'),
      },
      ...(config.awsTranscribeEndpoint ? { endpoint: config.awsTranscribeEndpoint } : {}),
      ...clientOverrides,
    });
  }

  /**
   * Resolves at once: the SDK's send() only settles once the service has sent its first event,
   * and the service may wait for audio before it does, so audio must flow before send() settles.
   * A refused stream (credentials, throttling) therefore surfaces through onError.
   */
  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    const queue = new AudioChunkQueue((options.sampleRateHz * 2 * CHUNK_MS) / 1000);
    const abort = new AbortController();
    const redact = this.#config.awsPiiRedaction;
    let state: 'open' | 'finishing' | 'closed' = 'open';
    const closed = (): boolean => state === 'closed';
    const command = new StartStreamTranscriptionCommand({
      LanguageCode: options.languageCode as LanguageCode,
      MediaSampleRateHertz: options.sampleRateHz,
      MediaEncoding: 'pcm',
      AudioStream: queue,
      ...(this.#config.awsVocabularyName ? { VocabularyName: this.#config.awsVocabularyName } : {}),
      ...(redact
        ? { ContentRedactionType: 'PII', PiiEntityTypes: this.#config.awsPiiEntityTypes }
        : {}),
      EnablePartialResultsStabilization: true,
      PartialResultsStability: 'medium',
    });
    const consumed = this.#client
      .send(command, { abortSignal: abort.signal })
      .then(async (response) => {
        options.log.debug({ sessionId: response.SessionId }, 'transcribe stream opened');
        if (!response.TranscriptResultStream) {
          throw new AppError(
            'ENGINE_STREAM_FAILED',
            'Amazon Transcribe returned no result stream',
            { retryable: true },
          );
        }
        await consume(response.TranscriptResultStream, options, closed);
      })
      .catch((error: unknown) => {
        if (closed()) return;
        state = 'closed';
        queue.end();
        const failure = classifyTranscribeError(error);
        this.#log.warn(
          { err: failure, callId: options.callId, channel: options.channel },
          'transcribe stream failed',
        );
        options.onError(failure);
      });
    return {
      write(pcm) {
        // Queued until the SDK sends it: a copy, since the media layer reuses its buffers.
        if (state === 'open') queue.push(pcm.slice());
      },
      async finish() {
        if (state !== 'open') return;
        state = 'finishing';
        queue.end();
        await consumed;
        state = 'closed';
      },
      abort() {
        if (state === 'closed') return;
        state = 'closed';
        queue.end();
        abort.abort();
      },
    };
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

async function consume(
  events: AsyncIterable<TranscriptResultStream>,
  options: SpeechStreamOptions,
  closed: () => boolean,
): Promise<void> {
  for await (const event of events) {
    if (closed()) return;
    const failure =
      event.BadRequestException ??
      event.LimitExceededException ??
      event.InternalFailureException ??
      event.ConflictException ??
      event.ServiceUnavailableException;
    if (failure) throw failure;
    for (const result of event.TranscriptEvent?.Transcript?.Results ?? []) {
      const mapped = mapResult(result);
      if (mapped) options.onResult(mapped);
    }
  }
}

function mapResult(result: TranscribeResult): SpeechResult | undefined {
  const alternative = result.Alternatives?.[0];
  const text = alternative?.Transcript?.trim() ?? '';
  if (result.ResultId === undefined || (text === '' && result.IsPartial)) return undefined;
  const confidences = (alternative?.Items ?? [])
    .map((item) => item.Confidence)
    .filter((c): c is number => typeof c === 'number');
  const startMs = Math.round((result.StartTime ?? 0) * 1000);
  return {
    resultId: result.ResultId,
    text,
    startMs,
    endMs: Math.max(startMs, Math.round((result.EndTime ?? 0) * 1000)),
    isPartial: result.IsPartial ?? false,
    ...(confidences.length > 0
      ? { confidence: confidences.reduce((a, b) => a + b, 0) / confidences.length }
      : {}),
  };
}
