import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsTranscribeEngine } from '../../src/adapters/speech/aws-transcribe/aws-transcribe-engine.js';
import { classifyTranscribeError } from '../../src/adapters/speech/aws-transcribe/classify-transcribe-error.js';
import {
  describeSpeechEngineContract,
  loadSampleCall,
  referenceTexts,
} from '../contract/speech-engine-contract.js';
import {
  startFakeTranscribeServer,
  type FakeTranscribeServer,
} from '../support/fake-transcribe-server.js';

const log = pino({ level: 'silent' });
const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };
const baseConfig = {
  awsRegion: 'us-east-1',
  awsVocabularyName: undefined,
  awsPiiRedaction: false,
  awsPiiEntityTypes: 'ALL',
};

describeSpeechEngineContract(
  'aws-transcribe (against the local fake)',
  async () => {
    const server = await startFakeTranscribeServer({
      script: { texts: referenceTexts(loadSampleCall()) },
    });
    const engine = new AwsTranscribeEngine(
      { ...baseConfig, awsTranscribeEndpoint: server.url },
      log,
      { credentials },
    );
    return { engine, cleanup: () => server.close() };
  },
  { maxWer: 0 },
);

describe('aws-transcribe adapter', () => {
  let server: FakeTranscribeServer | undefined;
  afterEach(async () => server?.close());

  it('sends language, rate, vocabulary and PII redaction settings, and 100 ms audio events', async () => {
    server = await startFakeTranscribeServer();
    const engine = new AwsTranscribeEngine(
      {
        ...baseConfig,
        awsTranscribeEndpoint: server.url,
        awsVocabularyName: 'contact-center',
        awsPiiRedaction: true,
      },
      log,
      { credentials },
    );
    const stream = await engine.open({
      callId: 'c1',
      channel: 'CALLER',
      sampleRateHz: 8000,
      languageCode: 'en-US',
      log,
      onResult: () => undefined,
      onError: () => undefined,
    });
    for (let i = 0; i < 50; i++) stream.write(new Int16Array(160));
    await stream.finish();
    await engine.close();
    const request = server.requests[0];
    expect(request?.headers['x-amzn-transcribe-language-code']).toBe('en-US');
    expect(request?.headers['x-amzn-transcribe-sample-rate']).toBe('8000');
    expect(request?.headers['x-amzn-transcribe-media-encoding']).toBe('pcm');
    expect(request?.headers['x-amzn-transcribe-vocabulary-name']).toBe('contact-center');
    expect(request?.headers['x-amzn-transcribe-content-redaction-type']).toBe('PII');
    expect(request?.headers['x-amzn-transcribe-pii-entity-types']).toBe('ALL');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFAKE\/\d+\/us-east-1\/transcribe\//,
    );
    expect(request?.audioBytes).toBe(50 * 320);
  });

  it('reports a throttling exception mid-stream as a retryable stream failure', async () => {
    server = await startFakeTranscribeServer({
      failAfterMs: { ms: 500, exceptionType: 'LimitExceededException' },
    });
    const engine = new AwsTranscribeEngine(
      { ...baseConfig, awsTranscribeEndpoint: server.url },
      log,
      { credentials },
    );
    const errors: (Error & { retryable?: boolean })[] = [];
    const stream = await engine.open({
      callId: 'c2',
      channel: 'CALLER',
      sampleRateHz: 8000,
      languageCode: 'en-US',
      log,
      onResult: () => undefined,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 60; i++) stream.write(new Int16Array(160));
    await expect.poll(() => errors.length, { timeout: 5000 }).toBe(1);
    expect(errors[0]?.retryable).toBe(true);
    stream.abort();
    await engine.close();
  });

  it('classifies AWS errors', () => {
    const named = (name: string, status?: number) =>
      Object.assign(new Error(name), {
        name,
        ...(status ? { $metadata: { httpStatusCode: status } } : {}),
      });
    expect(classifyTranscribeError(named('BadRequestException', 400)).retryable).toBe(false);
    expect(classifyTranscribeError(named('UnrecognizedClientException', 403)).retryable).toBe(
      false,
    );
    expect(classifyTranscribeError(named('LimitExceededException', 429)).retryable).toBe(true);
    expect(classifyTranscribeError(named('ServiceUnavailableException', 503)).retryable).toBe(true);
    expect(
      classifyTranscribeError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
        .retryable,
    ).toBe(true);
    expect(classifyTranscribeError(named('SomethingElse', 404)).retryable).toBe(false);
  });
});
