import type { Logger } from 'pino';
import type { Config } from '../../../config/schema.js';
import { AppError } from '../../../domain/errors.js';
import type {
  SpeechEngine,
  SpeechEngineCapabilities,
  SpeechStream,
  SpeechStreamOptions,
} from '../../../ports/speech-engine.js';
import { runModuleProcess } from '../worker/run-module-process.js';
import { findSherpaModel, type SherpaModel } from './sherpa-model-files.js';
import { writeHotwords } from './sherpa-hotwords.js';
import type { SherpaWorkerData } from './sherpa-protocol.js';
import { SherpaWorkerPool, type SherpaWorkerInfo } from './sherpa-worker-pool.js';
import { PooledStreamGuard } from '../worker/pooled-speech-stream.js';

export type SherpaConfig = Pick<
  Config,
  | 'sherpaModelDir'
  | 'sherpaModelType'
  | 'sherpaWorkers'
  | 'sherpaThreadsPerWorker'
  | 'sherpaVadModel'
  | 'sherpaMaxSegmentMs'
  | 'sherpaEndSilenceMs'
  | 'sherpaPartialIntervalMs'
>;

const PROBE_TIMEOUT_MS = 120_000;

/**
 * sherpa-onnx (sherpa-onnx-node) on a model the operator supplies: any streaming family it runs,
 * or an offline family made live by VAD segmentation. The model is checked at start in a child
 * process, then loaded once per worker thread; decoding never runs on the event loop.
 */
export class SherpaOnnxEngine implements SpeechEngine {
  readonly name = 'sherpa-onnx';
  readonly capabilities: SpeechEngineCapabilities = {
    // The models are 16 kHz; 8 kHz streams are resampled inside sherpa-onnx.
    sampleRatesHz: [16_000, 8000],
    partials: true,
    languages: ['en-US'],
  };
  readonly model: SherpaModel;
  readonly #pool: SherpaWorkerPool;

  private constructor(model: SherpaModel, pool: SherpaWorkerPool) {
    this.model = model;
    this.#pool = pool;
  }

  static async create(
    config: SherpaConfig,
    log: Logger,
    options: { vocabulary?: readonly string[]; dataDir?: string; hotwordsScore?: number } = {},
  ): Promise<SherpaOnnxEngine> {
    const model = await findSherpaModel(config.sherpaModelDir, config.sherpaModelType);
    const engineLog = log.child({ engine: 'sherpa-onnx' });
    const hotwordsFile =
      options.vocabulary && options.dataDir
        ? await writeHotwords({
            model,
            phrases: options.vocabulary,
            dataDir: options.dataDir,
            log: engineLog,
          })
        : undefined;
    const data: SherpaWorkerData = {
      model,
      numThreads: config.sherpaThreadsPerWorker,
      ...(hotwordsFile === undefined ? {} : { hotwordsFile }),
      hotwordsScore: options.hotwordsScore ?? 2,
      segmentation: {
        ...((config.sherpaVadModel ?? model.vadModel)
          ? { vadModel: config.sherpaVadModel ?? model.vadModel }
          : {}),
        maxSegmentMs: config.sherpaMaxSegmentMs,
        endSilenceMs: config.sherpaEndSilenceMs,
        partialIntervalMs: config.sherpaPartialIntervalMs,
      },
    };
    await probe(data);
    const pool = new SherpaWorkerPool(config.sherpaWorkers, data, engineLog);
    try {
      await pool.ready();
    } catch (error) {
      await pool.close();
      throw error;
    }
    engineLog.info(
      {
        modelType: model.type,
        dir: model.dir,
        workers: config.sherpaWorkers,
        vad: data.segmentation.vadModel ?? 'energy-gate',
      },
      'sherpa-onnx model loaded',
    );
    return new SherpaOnnxEngine(model, pool);
  }

  async open(options: SpeechStreamOptions): Promise<SpeechStream> {
    if (!this.capabilities.sampleRatesHz.includes(options.sampleRateHz)) {
      throw new AppError('ENGINE_UNAVAILABLE', 'unsupported sample rate', {
        details: { sampleRateHz: options.sampleRateHz },
      });
    }
    const guard = new PooledStreamGuard(options);
    const { streamId, slot } = await this.#pool.open({ ...options, ...guard.callbacks });
    return guard.stream(this.#pool, slot, streamId);
  }

  /** Which worker holds which stream: for operators, and for tests that kill a worker. */
  workers(): SherpaWorkerInfo[] {
    return this.#pool.workers();
  }

  terminateWorker(index: number): Promise<void> {
    return this.#pool.terminateWorker(index);
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

async function probe(data: SherpaWorkerData): Promise<void> {
  const outcome = await runModuleProcess(
    import.meta.url,
    'sherpa-probe',
    [JSON.stringify(data)],
    PROBE_TIMEOUT_MS,
  );
  if (outcome.exitCode === 0 && outcome.stdout.includes('ok')) return;
  const said = outcome.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('at '))
    .slice(-6)
    .join(' | ');
  throw new AppError(
    'ENGINE_MODEL_MISSING',
    `sherpa-onnx could not load the ${data.model.type} model in ${data.model.dir}: ${said || `exit ${outcome.exitCode ?? outcome.signal}`}`,
    {
      details: {
        dir: data.model.dir,
        type: data.model.type,
        exitCode: outcome.exitCode,
        stderr: outcome.stderr,
      },
    },
  );
}
