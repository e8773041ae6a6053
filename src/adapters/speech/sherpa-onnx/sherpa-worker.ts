import { parentPort, workerData } from 'node:worker_threads';
import type { SpeechResult } from '../../../ports/speech-engine.js';
import { OnlineStreamDecoder } from './online-stream-decoder.js';
import type { FromSherpaWorker, SherpaWorkerData, ToSherpaWorker } from './sherpa-protocol.js';
import { createRecognizer, loadSherpa, type Recognizer } from './sherpa-recognizer.js';
import { SegmentingStreamDecoder } from './segmenting-stream-decoder.js';

/**
 * Worker thread entry: one recognizer (the model is loaded once per worker) and many streams on
 * it. Messages are handled one at a time, so a stream is never decoded by two things at once.
 */
interface StreamDecoder {
  write(pcm: Int16Array): SpeechResult[];
  finish(): SpeechResult[];
}

const port = parentPort;
if (!port) throw new Error('sherpa-worker must run in a worker thread');
const send = (message: FromSherpaWorker): void => port.postMessage(message);
const data = workerData as SherpaWorkerData;
const streams = new Map<number, StreamDecoder>();
const sherpa = loadSherpa();

let recognizer: Recognizer | undefined;
try {
  recognizer = createRecognizer(sherpa, data);
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}

port.on('message', (message: ToSherpaWorker) => {
  if (message.type === 'exit') process.exit(message.exitCode);
  if (!recognizer) return;
  try {
    handle(recognizer, message);
  } catch (error) {
    streams.delete(message.streamId);
    send({
      type: 'stream-failed',
      streamId: message.streamId,
      message: error instanceof Error ? error.message : String(error),
    });
  }
});

function open(r: Recognizer, sampleRateHz: number): StreamDecoder {
  if (r.mode === 'online') return new OnlineStreamDecoder(r.recognizer, sampleRateHz);
  const { vadModel, maxSegmentMs, endSilenceMs, partialIntervalMs } = data.segmentation;
  const vad =
    vadModel === undefined
      ? undefined
      : new sherpa.Vad(
          {
            sileroVad: {
              model: vadModel,
              threshold: 0.5,
              minSilenceDuration: endSilenceMs / 1000,
              minSpeechDuration: 0.1,
              maxSpeechDuration: maxSegmentMs / 1000,
              windowSize: sampleRateHz === 8000 ? 256 : 512,
            },
            sampleRate: sampleRateHz,
            numThreads: 1,
            provider: 'cpu',
            debug: 0,
          },
          30,
        );
  return new SegmentingStreamDecoder(
    r.recognizer,
    { sampleRateHz, maxSegmentMs, endSilenceMs, partialIntervalMs },
    vad,
  );
}

function handle(r: Recognizer, message: ToSherpaWorker): void {
  switch (message.type) {
    case 'open':
      streams.set(message.streamId, open(r, message.sampleRateHz));
      return;
    case 'audio': {
      const stream = streams.get(message.streamId);
      if (!stream) return;
      for (const result of stream.write(message.pcm))
        send({ type: 'result', streamId: message.streamId, result });
      return;
    }
    case 'finish': {
      const stream = streams.get(message.streamId);
      streams.delete(message.streamId);
      if (stream) {
        for (const result of stream.finish())
          send({ type: 'result', streamId: message.streamId, result });
      }
      send({ type: 'finished', streamId: message.streamId });
      return;
    }
    case 'abort':
      streams.delete(message.streamId);
      return;
  }
}
