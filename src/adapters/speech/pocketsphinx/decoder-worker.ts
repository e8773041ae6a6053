import { parentPort } from 'node:worker_threads';
import { isAppError } from '../../../domain/errors.js';
import { loadPocketsphinx, type PocketsphinxLib } from './pocketsphinx-ffi.js';
import { PocketsphinxStreamDecoder } from './stream-decoder.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/**
 * Worker thread entry: owns this thread's decoders and the streams on them. Messages are handled
 * one at a time, so a decoder is never touched by two things at once.
 */
const port = parentPort;
if (!port) throw new Error('decoder-worker must run in a worker thread');

const send = (message: FromWorker): void => port.postMessage(message);
const decoders = new Map<number, unknown>();
const streams = new Map<number, PocketsphinxStreamDecoder>();

let lib: PocketsphinxLib | undefined;
try {
  lib = loadPocketsphinx();
  send({ type: 'ready' });
} catch (error) {
  send({
    type: 'fatal',
    code: isAppError(error) ? error.code : 'ENGINE_UNAVAILABLE',
    message: String(error),
  });
}

port.on('message', (message: ToWorker) => {
  if (!lib) return;
  handle(lib, message);
});

function handle(ps: PocketsphinxLib, message: ToWorker): void {
  switch (message.type) {
    case 'init':
      try {
        decoders.set(message.decoderId, ps.init(message.argv));
        send({ type: 'init-done', decoderId: message.decoderId });
      } catch (error) {
        send({ type: 'decoder-failed', decoderId: message.decoderId, ...describe(error) });
      }
      return;
    case 'reset': {
      const decoder = decoders.get(message.decoderId);
      try {
        if (decoder === undefined) throw new Error('unknown decoder');
        ps.reinit(decoder);
        send({ type: 'reset-done', decoderId: message.decoderId });
      } catch (error) {
        if (decoder !== undefined) ps.free(decoder);
        decoders.delete(message.decoderId);
        send({ type: 'decoder-failed', decoderId: message.decoderId, ...describe(error) });
      }
      return;
    }
    case 'open': {
      const decoder = decoders.get(message.decoderId);
      if (decoder === undefined) {
        send({ type: 'stream-failed', streamId: message.streamId, message: 'unknown decoder' });
        return;
      }
      streams.set(
        message.streamId,
        new PocketsphinxStreamDecoder(ps, decoder, { inputRateHz: message.sampleRateHz }),
      );
      return;
    }
    case 'audio': {
      const stream = streams.get(message.streamId);
      if (!stream) return;
      guarded(message.streamId, () => {
        for (const result of stream.write(message.pcm))
          send({ type: 'result', streamId: message.streamId, result });
      });
      return;
    }
    case 'finish': {
      const stream = streams.get(message.streamId);
      streams.delete(message.streamId);
      if (stream) {
        guarded(message.streamId, () => {
          for (const result of stream.finish())
            send({ type: 'result', streamId: message.streamId, result });
        });
      }
      send({ type: 'finished', streamId: message.streamId });
      return;
    }
    case 'abort':
      streams.get(message.streamId)?.finish();
      streams.delete(message.streamId);
      return;
  }
}

function guarded(streamId: number, work: () => void): void {
  try {
    work();
  } catch (error) {
    streams.delete(streamId);
    send({ type: 'stream-failed', streamId, message: describe(error).message });
  }
}

function describe(error: unknown): { code: string; message: string } {
  return {
    code: isAppError(error) ? error.code : 'ENGINE_UNAVAILABLE',
    message: error instanceof Error ? error.message : String(error),
  };
}
