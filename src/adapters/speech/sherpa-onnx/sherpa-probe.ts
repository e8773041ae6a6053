import type { SherpaWorkerData } from './sherpa-protocol.js';
import { createRecognizer, loadSherpa, MODEL_RATE_HZ } from './sherpa-recognizer.js';

/**
 * Start-up probe, run as a child process: sherpa-onnx ends the whole process (exit(-1)) on some
 * model errors (missing metadata, a wrong decoding method), which must not happen to the server.
 * Loads the model and decodes one second of silence; exit code 0 means the model works.
 */
const data = JSON.parse(process.argv[2] ?? '{}') as SherpaWorkerData;
const built = createRecognizer(loadSherpa(), data);
const silence = { samples: new Float32Array(MODEL_RATE_HZ), sampleRate: MODEL_RATE_HZ };
if (built.mode === 'online') {
  const stream = built.recognizer.createStream();
  stream.acceptWaveform(silence);
  stream.inputFinished();
  while (built.recognizer.isReady(stream)) built.recognizer.decode(stream);
  built.recognizer.getResult(stream);
} else {
  const stream = built.recognizer.createStream();
  stream.acceptWaveform(silence);
  built.recognizer.decode(stream);
  built.recognizer.getResult(stream);
}
process.stdout.write('ok\n');
