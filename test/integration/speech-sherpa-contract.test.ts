import { cp, mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  SherpaOnnxEngine,
  type SherpaConfig,
} from '../../src/adapters/speech/sherpa-onnx/sherpa-onnx-engine.js';
import type { SpeechEngine } from '../../src/ports/speech-engine.js';
import { describeSpeechEngineContract } from '../contract/speech-engine-contract.js';
import {
  writeOfflineNemoCtc,
  writeStreamingNemoCtc,
  writeStreamingTransducer,
} from '../support/sherpa-models/model-families.js';
import { toneCallStimulus } from '../support/sherpa-models/tone-call.js';

/**
 * The speech-engine contract on the real sherpa-onnx-node runtime, with models the test builds:
 * one per family (streaming transducer, streaming CTC, offline CTC through VAD segmentation).
 */
const log = pino({ level: 'silent' });

function config(dir: string): SherpaConfig {
  return {
    sherpaModelDir: dir,
    sherpaModelType: undefined,
    sherpaWorkers: 2,
    sherpaThreadsPerWorker: 1,
    sherpaVadModel: undefined,
    sherpaMaxSegmentMs: 15_000,
    sherpaEndSilenceMs: 500,
    sherpaPartialIntervalMs: 1000,
  };
}

const families: {
  name: string;
  write: (dir: string) => Promise<void>;
  /** Spoils a copy of a good model directory. */
  spoil: (dir: string) => Promise<void>;
}[] = [
  {
    name: 'streaming transducer (LSTM)',
    write: (dir) => writeStreamingTransducer(dir),
    // Valid ONNX, but without metadata sherpa-onnx requires: it would exit the process.
    spoil: (dir) => writeStreamingTransducer(dir, { dropEncoderMetadata: ['rnn_hidden_size'] }),
  },
  {
    name: 'streaming NeMo CTC',
    write: writeStreamingNemoCtc,
    spoil: (dir) => truncate(join(dir, 'model.onnx'), 200),
  },
  {
    name: 'offline NeMo CTC + energy-gate VAD',
    write: writeOfflineNemoCtc,
    spoil: (dir) => rm(join(dir, 'tokens.txt')),
  },
];

for (const family of families) {
  let root = '';
  describeSpeechEngineContract(
    `sherpa-onnx ${family.name}`,
    async () => {
      root = await mkdtemp(join(tmpdir(), 'callscribe-sherpa-'));
      await family.write(join(root, 'model'));
      const engine = await SherpaOnnxEngine.create(config(join(root, 'model')), log);
      return { engine, cleanup: () => rm(root, { recursive: true, force: true }) };
    },
    {
      maxWer: 0,
      stimulus: toneCallStimulus,
      extended: {
        sampleRatesHz: [8000, 16_000],
        concurrentStreams: 50,
        async crashWorker(engine: SpeechEngine, callId: string) {
          const sherpa = engine as SherpaOnnxEngine;
          const worker = sherpa.workers().find((w) => w.streams.some((s) => s.callId === callId));
          if (!worker) throw new Error(`no worker holds ${callId}`);
          await sherpa.terminateWorker(worker.index);
        },
        async startWithBadModel() {
          const bad = join(root, 'bad');
          await cp(join(root, 'model'), bad, { recursive: true });
          await family.spoil(bad);
          return SherpaOnnxEngine.create(config(bad), log);
        },
      },
    },
  );
}
