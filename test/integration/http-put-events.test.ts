import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { botoEndpointDataPath } from '../support/boto-endpoint.js';
import { startHttpServer, type HttpServerFixture } from '../support/http-server-fixture.js';
import { tools } from '../support/tools.js';

const run = promisify(execFile);
const SEED_SCRIPT = fileURLToPath(
  new URL('../fixtures/clients/lca_start_call.py', import.meta.url),
);
const KEY_ID = 'AKIDEXAMPLE';
const SECRET = 'dummysecret';

interface WireResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function post(
  baseUrl: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<WireResponse> {
  const res = await fetch(`${baseUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
      ...headers,
    },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const entry = (detailType: string, detail: unknown, source = 'lca-solution') => ({
  Source: source,
  DetailType: detailType,
  Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
});

const putEntries = (baseUrl: string, entries: unknown[]) =>
  post(baseUrl, JSON.stringify({ Entries: entries }));

function expectAwsError(
  res: WireResponse,
  status: number,
  type: string,
  message?: string | RegExp,
) {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-amzn-errortype')).toBe(type);
  expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  expect(res.json.__type).toBe(type);
  if (typeof message === 'string') expect(res.json.message).toBe(message);
  else if (message) expect(res.json.message).toMatch(message);
}

async function outcomeOf(baseUrl: string, eventId: string) {
  const res = await fetch(`${baseUrl}/api/control-events/${eventId}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function childEnv(endpoint: string, secret = SECRET): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_DATA_PATH: botoEndpointDataPath(endpoint),
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    // Keep the developer's ~/.aws out of the test.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
}

describe('PutEvents wire protocol (no access keys configured)', () => {
  let f: HttpServerFixture;
  beforeAll(async () => {
    f = await startHttpServer({ config: { putEventsMaxBodyBytes: 4096 } });
  });
  afterAll(async () => f?.close());

  async function expectStillServing() {
    const res = await putEntries(f.baseUrl, [entry('SOMETHING', { a: 1 }, 'my.app')]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }],
    });
  }

  it('starts a parked call: EventId, outcome by EventId, call PROCESSING with the overrides', async () => {
    await f.parkedCall('call-8');
    const res = await putEntries(f.baseUrl, [
      entry('START_CALL_PROCESSING', {
        callId: 'call-8',
        agentId: 'BOB!',
        fromNumber: 'New IVR number',
        toNumber: 'New CallerID',
      }),
    ]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json).toEqual({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) }],
    });
    const eventId = (res.json.Entries as { EventId: string }[])[0]?.EventId ?? '';
    expect(await outcomeOf(f.baseUrl, eventId)).toMatchObject({
      status: 200,
      body: { eventId, type: 'START_CALL_PROCESSING', status: 'applied', callId: 'call-8' },
    });
    expect((await f.store.get('call-8'))?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'BOB!',
      toNumber: 'New CallerID',
    });
  });

  it('answers a mixed batch entry by entry, in order, with FailedEntryCount', async () => {
    const res = await putEntries(f.baseUrl, [
      entry('UNRELATED', { x: 1 }, 'my.app'),
      entry('START_CALL_PROCESSING', '{not json'),
      entry('START_CALL_PROCESSING', '["an", "array"]'),
      entry('START_CALL_PROCESSING', { agentId: 'no callId' }),
      { Source: 'lca-solution', DetailType: 'START_CALL_PROCESSING' },
      {},
      entry('UPDATE_AGENT', { callId: 'call-x' }),
    ]);
    expect(res.status).toBe(200);
    expect(res.json.FailedEntryCount).toBe(6);
    expect(res.json.Entries).toEqual([
      { EventId: expect.any(String) },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: expect.stringContaining('detail.callId is required'),
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: expect.stringContaining('detail.agentId is required'),
      },
    ]);
    const ignoredId = (res.json.Entries as { EventId: string }[])[0]?.EventId ?? '';
    expect((await outcomeOf(f.baseUrl, ignoredId)).status).toBe(404);
    await expectStillServing();
  });

  it('holds a START for an unknown callId as pending and applies it when the call arrives', async () => {
    const res = await putEntries(f.baseUrl, [
      entry('START_CALL_PROCESSING', { callId: 'late-call' }),
    ]);
    const eventId = (res.json.Entries as { EventId: string }[])[0]?.EventId ?? '';
    expect(await outcomeOf(f.baseUrl, eventId)).toMatchObject({
      body: { status: 'pending', requestedCallId: 'late-call' },
    });
    await f.parkedCall('late-call');
    await vi.waitFor(async () =>
      expect(await outcomeOf(f.baseUrl, eventId)).toMatchObject({
        body: { status: 'applied', callId: 'late-call' },
      }),
    );
  });

  const badRequests: [string, () => Promise<WireResponse>, number, string, string | RegExp][] = [
    [
      '0 entries',
      () => putEntries(f.baseUrl, []),
      400,
      'ValidationException',
      "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ],
    [
      '11 entries',
      () => putEntries(f.baseUrl, Array(11).fill(entry('X', {}, 'my.app'))),
      400,
      'ValidationException',
      /^1 validation error detected: Value '\[PutEventsRequestEntry\(time=null, source=my\.app.*Member must have length less than or equal to 10$/,
    ],
    [
      'entries over the size limit',
      () =>
        putEntries(f.baseUrl, [
          entry('X', { pad: 'x'.repeat(3000) }, 'my.app'),
          entry('X', { pad: 'y'.repeat(3000) }, 'my.app'),
        ]),
      400,
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    ],
    [
      'a body over the limit',
      () =>
        post(
          f.baseUrl,
          JSON.stringify({ Entries: [entry('X', { pad: 'z'.repeat(200_000) }, 'my.app')] }),
        ),
      413,
      'RequestEntityTooLargeException',
      /over the limit/,
    ],
    [
      'an unknown X-Amz-Target',
      () => post(f.baseUrl, '{"Entries":[]}', { 'x-amz-target': 'AWSEvents.ListRules' }),
      400,
      'UnknownOperationException',
      /AWSEvents\.ListRules/,
    ],
    [
      'a missing X-Amz-Target',
      () => fetchWithout('x-amz-target'),
      400,
      'UnknownOperationException',
      /not supported/,
    ],
    [
      'a body that is not JSON',
      () => post(f.baseUrl, '{"Entries": ['),
      400,
      'SerializationException',
      /not valid JSON/,
    ],
    [
      'a wrong content type',
      () =>
        post(f.baseUrl, JSON.stringify({ Entries: [entry('X', {}, 'my.app')] }), {
          'content-type': 'text/plain',
        }),
      415,
      'UnsupportedMediaTypeException',
      /application\/x-amz-json-1\.1/,
    ],
  ];

  async function fetchWithout(header: string): Promise<WireResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
    };
    delete headers[header];
    const res = await fetch(`${f.baseUrl}/`, { method: 'POST', headers, body: '{"Entries":[]}' });
    return {
      status: res.status,
      headers: res.headers,
      json: (await res.json()) as Record<string, unknown>,
    };
  }

  it.each(badRequests)(
    'answers %s in AWS error shape and keeps serving',
    async (_name, send, status, type, message) => {
      expectAwsError(await send(), status, type, message);
      await expectStillServing();
    },
  );

  it('accepts application/json as the content type too', async () => {
    const res = await post(f.baseUrl, JSON.stringify({ Entries: [entry('X', {}, 'my.app')] }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(200);
  });

  it('accepts requests from the JS SDK signed with any credentials when no keys are configured', async () => {
    await f.parkedCall('js-open-call');
    const client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: f.baseUrl,
      credentials: { accessKeyId: 'ANYKEY', secretAccessKey: 'anything' },
      maxAttempts: 1,
    });
    const out = await client.send(
      new PutEventsCommand({
        Entries: [entry('START_CALL_PROCESSING', { callId: 'js-open-call', agentId: 'Alice' })],
      }),
    );
    client.destroy();
    expect(out.FailedEntryCount).toBe(0);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await f.store.get('js-open-call'))?.call).toMatchObject({
      state: 'PROCESSING',
      agentId: 'Alice',
    });
  });
});

describe('PutEvents with SigV4 required, driven by real AWS clients', () => {
  let f: HttpServerFixture;
  beforeAll(async () => {
    f = await startHttpServer({
      config: { accessKeys: `${KEY_ID}:${SECRET},OTHERKEY:othersecret` },
    });
  });
  afterAll(async () => f?.close());

  const client = (accessKeyId: string, secretAccessKey: string) =>
    new EventBridgeClient({
      region: 'eu-central-1',
      endpoint: f.baseUrl,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });

  it('JS SDK with the right secret starts the call', async () => {
    await f.parkedCall('js-signed-call');
    const c = client(KEY_ID, SECRET);
    const out = await c.send(
      new PutEventsCommand({
        Entries: [entry('START_CALL_PROCESSING', { callId: 'js-signed-call' })],
      }),
    );
    c.destroy();
    expect(out.FailedEntryCount).toBe(0);
    expect((await f.store.get('js-signed-call'))?.call.state).toBe('PROCESSING');
  });

  it('JS SDK with a wrong secret gets InvalidSignatureException, an unknown key UnrecognizedClientException', async () => {
    await f.parkedCall('js-refused-call');
    const wrong = client(KEY_ID, 'wrong-secret');
    await expect(
      wrong.send(
        new PutEventsCommand({
          Entries: [entry('START_CALL_PROCESSING', { callId: 'js-refused-call' })],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    wrong.destroy();
    const unknown = client('NOSUCHKEY', SECRET);
    await expect(
      unknown.send(
        new PutEventsCommand({
          Entries: [entry('START_CALL_PROCESSING', { callId: 'js-refused-call' })],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    unknown.destroy();
    expect((await f.store.get('js-refused-call'))?.call.state).toBe('PENDING');
  });

  it('an unsigned request gets MissingAuthenticationTokenException', async () => {
    expectAwsError(
      await putEntries(f.baseUrl, [entry('START_CALL_PROCESSING', { callId: 'x' })]),
      400,
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    );
  });

  describe.skipIf(!tools.python3Boto3().available)('boto3', () => {
    it("runs LCA's START_CALL_PROCESSING seed script unchanged", async () => {
      await f.parkedCall('Your-CallId-Here');
      await run('python3', [SEED_SCRIPT], { env: childEnv(f.baseUrl), timeout: 60_000 });
      const stored = await f.store.get('Your-CallId-Here');
      expect(stored?.call).toMatchObject({
        state: 'PROCESSING',
        agentId: 'Bob the Builder',
        toNumber: 'Contact Center Number',
        fromNumber: 'Bobs cell',
        startCallProcessingEvent: { callId: 'Your-CallId-Here', agentId: 'Bob the Builder' },
      });
    });

    it("runs the seed script unchanged with Debian's python3-boto3 too (endpoint via AWS_DATA_PATH)", async () => {
      // Its own server: the seed script always names the call "Your-CallId-Here".
      const g = await startHttpServer({ config: { accessKeys: `${KEY_ID}:${SECRET}` } });
      try {
        await g.parkedCall('Your-CallId-Here');
        await run('/usr/bin/python3', [SEED_SCRIPT], { env: childEnv(g.baseUrl), timeout: 60_000 });
        expect((await g.store.get('Your-CallId-Here'))?.call).toMatchObject({
          state: 'PROCESSING',
          agentId: 'Bob the Builder',
        });
      } finally {
        await g.close();
      }
    });

    it('the same script with a wrong secret fails with InvalidSignatureException', async () => {
      const failure = await run('python3', [SEED_SCRIPT], {
        env: childEnv(f.baseUrl, 'wrong'),
        timeout: 60_000,
      }).then(
        () => undefined,
        (error: { stderr?: string }) => error,
      );
      expect(failure?.stderr).toContain('InvalidSignatureException');
    });
  });

  describe.skipIf(!tools.awsCli().available)('aws CLI', () => {
    it('aws events put-events --endpoint-url starts a call and prints the EventId', async () => {
      await f.parkedCall('cli-call');
      const entries = JSON.stringify([
        {
          Source: 'lca-solution',
          DetailType: 'START_CALL_PROCESSING',
          Detail: JSON.stringify({ callId: 'cli-call', agentId: 'Carol' }),
        },
      ]);
      const { stdout } = await run(
        'aws',
        [
          'events',
          'put-events',
          '--endpoint-url',
          f.baseUrl,
          '--entries',
          entries,
          '--output',
          'json',
        ],
        { env: childEnv(f.baseUrl), timeout: 60_000 },
      );
      const printed = JSON.parse(stdout) as {
        FailedEntryCount: number;
        Entries: { EventId: string }[];
      };
      expect(printed.FailedEntryCount).toBe(0);
      const eventId = printed.Entries[0]?.EventId ?? '';
      expect(await outcomeOf(f.baseUrl, eventId)).toMatchObject({
        body: { status: 'applied', callId: 'cli-call' },
      });
      expect((await f.store.get('cli-call'))?.call).toMatchObject({
        state: 'PROCESSING',
        agentId: 'Carol',
      });
    });
  });
});
