import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botoEndpointDataPath } from '../support/boto-endpoint.js';
import { startHttpServer, type HttpServerFixture } from '../support/http-server-fixture.js';
import { tools } from '../support/tools.js';

/**
 * Temporary credentials (what boto3 sends under an assumed role): the SigV4 request carries
 * X-Amz-Security-Token, which must be the configured session key's token, or the request is
 * refused in AWS's error shape. Never ignored.
 */
const run = promisify(execFile);
const SEED_SCRIPT = fileURLToPath(
  new URL('../fixtures/clients/lca_start_call.py', import.meta.url),
);
const SESSION_KEY = 'ASIATESTSESSIONKEY';
const SESSION_SECRET = 'session/secret+Value';
// Shaped like an STS token: base64 with / + =.
const TOKEN = 'IQoJb3JpZ2luX2VjEDAaCXVzLWVhc3QtMSJHMEUCIQD/abc+def==';
const LONG_KEY = 'AKIALONGTERMKEY';
const LONG_SECRET = 'long-term-secret';

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function awsEnv(endpoint: string, creds: Creds): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_DATA_PATH: botoEndpointDataPath(endpoint),
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: creds.sessionToken }),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
}

const session: Creds = {
  accessKeyId: SESSION_KEY,
  secretAccessKey: SESSION_SECRET,
  sessionToken: TOKEN,
};

/** Runs a client to completion; resolves its stderr when it failed, undefined when it succeeded. */
async function failureOf(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  return run(command, args, { env, timeout: 60_000 }).then(
    () => undefined,
    (error: { stderr?: string }) => error.stderr ?? 'failed without stderr',
  );
}

function startEntry(callId: string): string {
  return JSON.stringify([
    {
      Source: 'lca-solution',
      DetailType: 'START_CALL_PROCESSING',
      Detail: JSON.stringify({ callId }),
    },
  ]);
}

describe('PutEvents with temporary credentials (X-Amz-Security-Token)', () => {
  let f: HttpServerFixture;
  beforeAll(async () => {
    f = await startHttpServer({
      config: {
        accessKeys: `${LONG_KEY}:${LONG_SECRET}`,
        sessionKeys: `${SESSION_KEY}:${SESSION_SECRET}:${TOKEN}`,
      },
    });
  });
  afterAll(async () => f?.close());

  const jsClient = (creds: Creds) =>
    new EventBridgeClient({
      region: 'us-east-1',
      endpoint: f.baseUrl,
      credentials: creds,
      maxAttempts: 1,
    });

  async function jsSend(
    creds: Creds,
    callId: string,
  ): Promise<{ ok: boolean; name?: string; status?: number }> {
    const client = jsClient(creds);
    try {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'lca-solution',
              DetailType: 'START_CALL_PROCESSING',
              Detail: JSON.stringify({ callId }),
            },
          ],
        }),
      );
      return { ok: out.FailedEntryCount === 0 };
    } catch (error) {
      const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
      return { ok: false, name: e.name, status: e.$metadata?.httpStatusCode };
    } finally {
      client.destroy();
    }
  }

  it('JS SDK with the session key and its token starts the call', async () => {
    await f.parkedCall('js-session-call');
    expect(await jsSend(session, 'js-session-call')).toEqual({ ok: true });
    expect((await f.store.get('js-session-call'))?.call.state).toBe('PROCESSING');
  });

  it('refuses a wrong token, a missing token, and a token sent with a long-term key', async () => {
    await f.parkedCall('js-refused-call');
    for (const creds of [
      { ...session, sessionToken: `${TOKEN}x` },
      { accessKeyId: SESSION_KEY, secretAccessKey: SESSION_SECRET },
      { accessKeyId: LONG_KEY, secretAccessKey: LONG_SECRET, sessionToken: TOKEN },
    ]) {
      expect(await jsSend(creds, 'js-refused-call')).toEqual({
        ok: false,
        name: 'UnrecognizedClientException',
        status: 403,
      });
    }
    expect((await f.store.get('js-refused-call'))?.call.state).toBe('PENDING');
    const rejected = f.captured.lines.filter((l) => l.msg === 'PutEvents security token rejected');
    expect(rejected.map((l) => l.reason)).toEqual([
      'wrong-token',
      'missing-token',
      'token-with-long-term-key',
    ]);
    // The token itself is never logged.
    expect(JSON.stringify(f.captured.lines)).not.toContain(TOKEN.slice(0, 20));
  });

  it('long-term keys without a token still work beside session keys', async () => {
    await f.parkedCall('js-long-call');
    expect(
      await jsSend({ accessKeyId: LONG_KEY, secretAccessKey: LONG_SECRET }, 'js-long-call'),
    ).toEqual({ ok: true });
  });

  describe.skipIf(!tools.python3Boto3().available)('boto3', () => {
    it("runs LCA's seed script unchanged with AWS_SESSION_TOKEN", async () => {
      const g = await startHttpServer({
        config: { sessionKeys: `${SESSION_KEY}:${SESSION_SECRET}:${TOKEN}` },
      });
      try {
        await g.parkedCall('Your-CallId-Here');
        expect(
          await failureOf('python3', [SEED_SCRIPT], awsEnv(g.baseUrl, session)),
        ).toBeUndefined();
        expect((await g.store.get('Your-CallId-Here'))?.call).toMatchObject({
          state: 'PROCESSING',
          agentId: 'Bob the Builder',
        });
      } finally {
        await g.close();
      }
    });

    it('the seed script with a forged token gets UnrecognizedClientException', async () => {
      const stderr = await failureOf(
        'python3',
        [SEED_SCRIPT],
        awsEnv(f.baseUrl, { ...session, sessionToken: 'forged' }),
      );
      expect(stderr).toContain('UnrecognizedClientException');
      expect(stderr).toContain('The security token included in the request is invalid');
    });

    it("Debian's python3-boto3 with the session token works too", async () => {
      const g = await startHttpServer({
        config: { sessionKeys: `${SESSION_KEY}:${SESSION_SECRET}:${TOKEN}` },
      });
      try {
        await g.parkedCall('Your-CallId-Here');
        expect(
          await failureOf('/usr/bin/python3', [SEED_SCRIPT], awsEnv(g.baseUrl, session)),
        ).toBeUndefined();
        expect((await g.store.get('Your-CallId-Here'))?.call.state).toBe('PROCESSING');
      } finally {
        await g.close();
      }
    });
  });

  describe.skipIf(!tools.awsCli().available)('aws CLI', () => {
    const cli = (creds: Creds, callId: string) =>
      failureOf(
        'aws',
        [
          'events',
          'put-events',
          '--endpoint-url',
          f.baseUrl,
          '--entries',
          startEntry(callId),
          '--output',
          'json',
        ],
        awsEnv(f.baseUrl, creds),
      );

    it('aws events put-events with AWS_SESSION_TOKEN starts the call', async () => {
      await f.parkedCall('aws-session-call');
      expect(await cli(session, 'aws-session-call')).toBeUndefined();
      expect((await f.store.get('aws-session-call'))?.call.state).toBe('PROCESSING');
    });

    it('a wrong token is refused in AWS error shape', async () => {
      await f.parkedCall('aws-forged-call');
      const stderr = await cli({ ...session, sessionToken: 'forged' }, 'aws-forged-call');
      expect(stderr).toMatch(
        /UnrecognizedClientException.*security token included in the request is invalid/,
      );
      expect((await f.store.get('aws-forged-call'))?.call.state).toBe('PENDING');
    });
  });
});

describe('expired temporary credentials', () => {
  let f: HttpServerFixture;
  beforeAll(async () => {
    f = await startHttpServer({
      config: {
        sessionKeys: [
          {
            accessKeyId: SESSION_KEY,
            secretAccessKey: SESSION_SECRET,
            sessionToken: TOKEN,
            expiresAt: '2020-01-01T00:00:00Z',
          },
        ],
      },
    });
  });
  afterAll(async () => f?.close());

  it('get ExpiredTokenException', async () => {
    const client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: f.baseUrl,
      credentials: session,
      maxAttempts: 1,
    });
    const error = await client
      .send(new PutEventsCommand({ Entries: [{ Source: 'x', DetailType: 'y', Detail: '{}' }] }))
      .then(
        () => undefined,
        (e: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => e,
      );
    client.destroy();
    expect(error?.name).toBe('ExpiredTokenException');
    expect(error?.$metadata.httpStatusCode).toBe(400);
    expect(error?.message).toBe('The security token included in the request is expired');
  });
});

describe('a security token on a server without credentials', () => {
  let f: HttpServerFixture;
  beforeAll(async () => {
    f = await startHttpServer();
  });
  afterAll(async () => f?.close());

  it('is refused, not ignored; the same client without a token is served', async () => {
    await f.parkedCall('open-token-call');
    const send = async (creds: Creds) => {
      const client = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: f.baseUrl,
        credentials: creds,
        maxAttempts: 1,
      });
      try {
        await client.send(
          new PutEventsCommand({
            Entries: [
              {
                Source: 'lca-solution',
                DetailType: 'START_CALL_PROCESSING',
                Detail: '{"callId":"open-token-call"}',
              },
            ],
          }),
        );
        return 'ok';
      } catch (error) {
        return (error as Error).name;
      } finally {
        client.destroy();
      }
    };
    expect(await send(session)).toBe('UnrecognizedClientException');
    expect((await f.store.get('open-token-call'))?.call.state).toBe('PENDING');
    expect(
      f.captured.lines.find((l) => l.msg === 'PutEvents security token rejected')?.reason,
    ).toBe('no-session-keys');
    expect(await send({ accessKeyId: 'ANY', secretAccessKey: 'any' })).toBe('ok');
  });
});
