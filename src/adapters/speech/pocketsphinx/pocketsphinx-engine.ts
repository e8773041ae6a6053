import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { AppError } from '../../../domain/errors.js';
import type {
  SpeechEngine,
  SpeechEngineCapabilities,
  SpeechStream,
  SpeechStreamOptions,
} from '../../../ports/speech-engine.js';
import { pocketsphinxArgs } from './decoder-args.js';
import { buildVocabularyModel } from './vocabulary-model.js';
import { DecoderPool, type WorkerInfo } from './decoder-pool.js';
import { buildShadowModel, PHONE_BAND_CMNINIT } from './shadow-model.js';
import { PooledStreamGuard } from '../worker/pooled-speech-stream.js';

export type PocketsphinxConfig = Pick<
  Config,
  'dataDir' | 'pocketsphinxModelDir' | 'pocketsphinxWorkers' | 'pocketsphinxLanguageModel'
>;

/**
 * The embedded default engine: CMU PocketSphinx (Debian libpocketsphinx3 + pocketsphinx-en-us)
 * in worker threads. It takes 8 kHz audio as it comes off the phone line and upsamples inside the
 * worker, so the main thread only posts buffers.
 */
export class PocketsphinxEngine implements SpeechEngine {
  readonly name = 'pocketsphinx';
  readonly capabilities: SpeechEngineCapabilities = {
    sampleRatesHz: [8000, 16_000],
    partials: true,
    languages: ['en-US'],
  };
  readonly #pool: DecoderPool;

  private constructor(pool: DecoderPool) {
    this.#pool = pool;
  }

  /** `vocabulary`: phrases to make recognisable (dictionary and language-model entries). */
  static async create(
    config: PocketsphinxConfig,
    log: Logger,
    options: { vocabulary?: readonly string[] } = {},
  ): Promise<PocketsphinxEngine> {
    const shadowModelDir = await buildShadowModel({
      acousticModelDir: join(config.pocketsphinxModelDir, 'en-us'),
      cacheDir: config.dataDir,
      cmninit: PHONE_BAND_CMNINIT,
    });
    const generic =
      config.pocketsphinxLanguageModel ?? join(config.pocketsphinxModelDir, 'en-us.lm.bin');
    const vocabulary =
      options.vocabulary && options.vocabulary.length > 0
        ? await buildVocabularyModel({
            phrases: options.vocabulary,
            modelDir: config.pocketsphinxModelDir,
            languageModel: generic,
            cacheDir: config.dataDir,
            log: log.child({ engine: 'pocketsphinx' }),
          })
        : undefined;
    const argv = pocketsphinxArgs({
      shadowModelDir,
      modelDir: config.pocketsphinxModelDir,
      languageModel: vocabulary?.languageModel ?? generic,
      ...(vocabulary ? { dictionary: vocabulary.dictionary } : {}),
    });
    const pool = new DecoderPool({
      workers: config.pocketsphinxWorkers,
      argv,
      log: log.child({ engine: 'pocketsphinx' }),
    });
    try {
      await pool.warmUp(1);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return new PocketsphinxEngine(pool);
  }

  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    if (!this.capabilities.sampleRatesHz.includes(options.sampleRateHz)) {
      throw new AppError('ENGINE_UNAVAILABLE', 'unsupported sample rate', {
        details: { sampleRateHz: options.sampleRateHz },
      });
    }
    const guard = new PooledStreamGuard(options);
    const { streamId, workerIndex } = await this.#pool.openStream(
      { callId: options.callId, channel: options.channel, ...guard.callbacks },
      options.sampleRateHz,
    );
    return guard.stream(this.#pool, workerIndex, streamId);
  }

  /** Which worker holds which stream: for operators, and for tests that kill a worker. */
  workers(): WorkerInfo[] {
    return this.#pool.workers();
  }

  terminateWorker(index: number): Promise<void> {
    return this.#pool.terminateWorker(index);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
