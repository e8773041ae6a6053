import { randomUUID } from 'node:crypto';
import {
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { pino } from 'pino';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import {
  parseFakeScript,
  type FakeScriptInput,
} from '../../src/adapters/speech/fake/fake-script.js';
import type { SpeechResult, SpeechStream } from '../../src/ports/speech-engine.js';

/**
 * A local Amazon Transcribe streaming endpoint: plaintext HTTP/2 (h2c), the real event-stream
 * framing, AudioEvents in, TranscriptEvents out. What it says comes from the fake engine's
 * energy-based utterance detector and script, so the AWS adapter is tested against real bytes.
 * Chunk signatures are not verified.
 */
export interface FakeTranscribeRequest {
  index: number;
  headers: IncomingHttpHeaders;
  audioBytes: number;
}

export interface FakeTranscribeServer {
  url: string;
  requests: FakeTranscribeRequest[];
  close(): Promise<void>;
}

export interface FakeTranscribeOptions {
  script?: FakeScriptInput;
  /** Which channel's script a request follows (by arrival order); default alternates CALLER, AGENT. */
  channelFor?: (index: number) => 'CALLER' | 'AGENT';
  /** Sends an exception event instead of results once a request has this much audio. */
  failAfterMs?: { ms: number; exceptionType: string };
}

const utf8 = {
  toUtf8: (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8'),
  fromUtf8: (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8')),
};

export async function startFakeTranscribeServer(
  options: FakeTranscribeOptions = {},
): Promise<FakeTranscribeServer> {
  const engine = new FakeSpeechEngine(parseFakeScript(options.script ?? {}));
  const requests: FakeTranscribeRequest[] = [];
  const server: Http2Server = createServer();
  const live = new Set<ServerHttp2Stream>();
  server.on('stream', (stream, headers) => {
    live.add(stream);
    stream.on('close', () => live.delete(stream));
    void handle(stream, headers).catch(() => stream.close());
  });

  async function handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    if (headers[':path'] !== '/stream-transcription' || headers[':method'] !== 'POST') {
      stream.respond({ ':status': 404, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ message: 'not found' }));
      return;
    }
    const request: FakeTranscribeRequest = { index: requests.length, headers, audioBytes: 0 };
    requests.push(request);
    const sampleRateHz = Number(headers['x-amzn-transcribe-sample-rate'] ?? 8000);
    const codec = new EventStreamCodec(utf8.toUtf8, utf8.fromUtf8);
    const sendEvent = (
      eventType: string,
      messageType: 'event' | 'exception',
      body: unknown,
    ): void => {
      const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
      stream.write(
        codec.encode({
          headers: {
            ':message-type': { type: 'string', value: messageType },
            [typeHeader]: { type: 'string', value: eventType },
            ':content-type': { type: 'string', value: 'application/json' },
          },
          body: utf8.fromUtf8(JSON.stringify(body)),
        }),
      );
    };
    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-request-id': randomUUID(),
      'x-amzn-transcribe-session-id': randomUUID(),
      'x-amzn-transcribe-language-code': String(
        headers['x-amzn-transcribe-language-code'] ?? 'en-US',
      ),
      'x-amzn-transcribe-sample-rate': String(sampleRateHz),
      'x-amzn-transcribe-media-encoding': 'pcm',
    });
    // The real service sends result-less TranscriptEvents while it hears nothing.
    sendEvent('TranscriptEvent', 'event', { Transcript: { Results: [] } });
    const channel = (options.channelFor ?? ((i) => (i % 2 === 0 ? 'CALLER' : 'AGENT')))(
      request.index,
    );
    let failed = false;
    const fake: SpeechStream = await engine.open({
      callId: `request-${Math.floor(request.index / 2)}`,
      channel,
      sampleRateHz,
      languageCode: 'en-US',
      log: pino({ level: 'silent' }),
      onResult: (result) => {
        if (!failed && !stream.closed)
          sendEvent('TranscriptEvent', 'event', transcriptEvent(result));
      },
      onError: () => undefined,
    });
    let ended = false;
    // Event-stream frames start with their total length (big-endian uint32); HTTP/2 DATA frames
    // do not respect those boundaries, so reassemble before decoding.
    let buffered = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= buffered.readUInt32BE(0)) {
        const length = buffered.readUInt32BE(0);
        const envelope = codec.decode(buffered.subarray(0, length));
        buffered = buffered.subarray(length);
        if (envelope.body.length === 0) {
          ended = true;
          void fake.finish().then(() => {
            if (!stream.closed) stream.end();
          });
          continue;
        }
        const inner = codec.decode(envelope.body);
        if (inner.headers[':event-type']?.value !== 'AudioEvent') continue;
        const bytes = inner.body;
        request.audioBytes += bytes.length;
        const pcm = new Int16Array(bytes.length >> 1);
        Buffer.from(bytes.buffer, bytes.byteOffset, pcm.length * 2).copy(Buffer.from(pcm.buffer));
        fake.write(pcm);
        const fail = options.failAfterMs;
        if (fail && !failed && (request.audioBytes * 1000) / (sampleRateHz * 2) >= fail.ms) {
          failed = true;
          sendEvent(fail.exceptionType, 'exception', { Message: 'scripted failure' });
          stream.end();
        }
      }
    });
    stream.on('end', () => {
      if (!ended) void fake.finish().then(() => !stream.closed && stream.end());
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const stream of live) stream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}

function transcriptEvent(result: SpeechResult): unknown {
  return {
    Transcript: {
      Results: [
        {
          ResultId: `r-${result.resultId}`,
          StartTime: result.startMs / 1000,
          EndTime: result.endMs / 1000,
          IsPartial: result.isPartial,
          Alternatives: [
            {
              Transcript: result.text,
              Items: result.text.split(' ').map((word) => ({
                Content: word,
                Type: 'pronunciation',
                Confidence: result.isPartial ? undefined : 0.9,
              })),
            },
          ],
        },
      ],
    },
  };
}
