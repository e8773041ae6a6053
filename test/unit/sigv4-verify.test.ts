import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { verifySigV4, type SignedRequest } from '../../src/adapters/http/sigv4-verify.js';
import { NodeSha256 } from '../../src/cli/put-events-signer.js';

const NOW_MS = Date.UTC(2026, 10, 25, 12, 11, 59);
const SECRET = 'dummysecret';
const KEY_ID = 'AKIDEXAMPLE';
const BODY = JSON.stringify({
  Entries: [
    { Source: 'lca-solution', DetailType: 'START_CALL_PROCESSING', Detail: '{"callId":"call-8"}' },
  ],
});

interface SignOptions {
  secret?: string;
  region?: string;
  service?: string;
  signingDateMs?: number;
  applyChecksum?: boolean;
  query?: Record<string, string>;
  extraHeaders?: Record<string, string>;
}

async function sign(options: SignOptions = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: KEY_ID, secretAccessKey: options.secret ?? SECRET },
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'events',
    sha256: NodeSha256,
    applyChecksum: options.applyChecksum ?? false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4010,
      path: '/',
      query: options.query ?? {},
      headers: {
        host: '127.0.0.1:4010',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
        ...options.extraHeaders,
      },
      body: BODY,
    },
    { signingDate: new Date(options.signingDateMs ?? NOW_MS) },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>)
    .toString()
    .replace(/\+/g, '%20');
  return {
    method: signed.method,
    url: query === '' ? signed.path : `${signed.path}?${query}`,
    rawHeaders: Object.entries(signed.headers).flat(),
    body: Buffer.from(BODY, 'utf8'),
  };
}

function verify(request: SignedRequest, secrets: Record<string, string> = { [KEY_ID]: SECRET }) {
  return verifySigV4(request, {
    secretFor: (id) => secrets[id],
    nowMs: NOW_MS,
    maxSkewMs: 15 * 60_000,
    service: 'events',
  });
}

function withHeader(request: SignedRequest, name: string, value: string): SignedRequest {
  const raw = [...request.rawHeaders];
  const i = raw.findIndex((h, idx) => idx % 2 === 0 && h.toLowerCase() === name);
  if (i < 0) raw.push(name, value);
  else raw[i + 1] = value;
  return { ...request, rawHeaders: raw };
}

describe('verifySigV4 against @smithy/signature-v4', () => {
  it('accepts a request signed the way boto3 signs it (no payload hash header)', async () => {
    const result = verify(await sign());
    expect(result).toEqual({ ok: true, value: { accessKeyId: KEY_ID, region: 'us-east-1' } });
  });

  it('accepts the JS SDK form with a signed x-amz-content-sha256', async () => {
    const request = await sign({ applyChecksum: true });
    expect(request.rawHeaders).toContain('x-amz-content-sha256');
    expect(verify(request).ok).toBe(true);
  });

  it('accepts any region, query strings and headers with runs of whitespace', async () => {
    const request = await sign({
      region: 'eu-west-1',
      query: { b: '2', a: 'x y' },
      extraHeaders: { 'x-amz-user-agent': 'aws-sdk-js/3   test\tagent' },
    });
    expect(verify(request)).toEqual({
      ok: true,
      value: { accessKeyId: KEY_ID, region: 'eu-west-1' },
    });
  });

  it('rejects a changed query string', async () => {
    const request = await sign({ query: { a: '1' } });
    expect(verify({ ...request, url: '/?a=2' })).toMatchObject({
      ok: false,
      error: { kind: 'invalid-signature' },
    });
  });

  it('rejects a tampered body', async () => {
    const request = await sign();
    const tampered = { ...request, body: Buffer.from(BODY.replace('call-8', 'call-9'), 'utf8') };
    expect(verify(tampered)).toMatchObject({ ok: false, error: { kind: 'invalid-signature' } });
  });

  it('rejects a tampered body whose declared x-amz-content-sha256 no longer matches', async () => {
    const request = await sign({ applyChecksum: true });
    const tampered = { ...request, body: Buffer.from(BODY.replace('call-8', 'call-9'), 'utf8') };
    expect(verify(tampered)).toMatchObject({
      ok: false,
      error: {
        kind: 'invalid-signature',
        message: expect.stringContaining('x-amz-content-sha256'),
      },
    });
  });

  it('rejects a changed Host or X-Amz-Target', async () => {
    const request = await sign();
    expect(verify(withHeader(request, 'host', '127.0.0.1:4011'))).toMatchObject({
      ok: false,
      error: { kind: 'invalid-signature' },
    });
    expect(verify(withHeader(request, 'x-amz-target', 'AWSEvents.ListRules'))).toMatchObject({
      ok: false,
      error: { kind: 'invalid-signature' },
    });
  });

  it('rejects a wrong secret with the AWS mismatch message', async () => {
    expect(verify(await sign({ secret: 'not-the-secret' }))).toEqual({
      ok: false,
      error: {
        kind: 'invalid-signature',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      },
    });
  });

  it('rejects an unknown access key and a missing Authorization header', async () => {
    const request = await sign();
    expect(verify(request, { OTHERKEY: SECRET })).toMatchObject({
      ok: false,
      error: { kind: 'unknown-key' },
    });
    const unsigned = {
      ...request,
      rawHeaders: request.rawHeaders.filter((_, i, all) => all[i - (i % 2)] !== 'authorization'),
    };
    expect(verify(unsigned)).toMatchObject({ ok: false, error: { kind: 'missing-token' } });
  });

  it('rejects a signature older or newer than the allowed skew, and accepts one just inside it', async () => {
    const expired = verify(await sign({ signingDateMs: NOW_MS - 16 * 60_000 }));
    expect(expired).toMatchObject({
      ok: false,
      error: {
        kind: 'invalid-signature',
        message: expect.stringMatching(
          /^Signature expired: 20261125T115559Z is now earlier than 20261125T115659Z/,
        ),
      },
    });
    const future = verify(await sign({ signingDateMs: NOW_MS + 16 * 60_000 }));
    expect(future).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/^Signature not yet current/) },
    });
    expect(verify(await sign({ signingDateMs: NOW_MS - 14 * 60_000 })).ok).toBe(true);
  });

  it('rejects a signature scoped to another service', async () => {
    expect(verify(await sign({ service: 'sqs' }))).toMatchObject({
      ok: false,
      error: { kind: 'invalid-signature', message: expect.stringContaining("'events'") },
    });
  });

  it('reports a malformed Authorization header as an incomplete signature', async () => {
    const request = withHeader(
      await sign(),
      'authorization',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/events/aws4_request',
    );
    expect(verify(request)).toMatchObject({ ok: false, error: { kind: 'incomplete-signature' } });
  });
});
