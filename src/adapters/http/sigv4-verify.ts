import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../../domain/result.js';

/**
 * Server-side AWS Signature Version 4 check for header-signed requests (what boto3, the AWS
 * CLI, the JS SDK and curl --aws-sigv4 send). No npm package verifies SigV4 well, and the
 * algorithm is small, so it lives here on node:crypto alone.
 */
export interface SignedRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  /** Node's `rawHeaders`: alternating names and values, repeated headers kept. */
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface SigV4VerifyOptions {
  secretFor(accessKeyId: string): string | undefined;
  nowMs: number;
  maxSkewMs: number;
  /** The signing name clients use for this API (`events` for EventBridge). */
  service: string;
}

/** `kind` maps one-to-one to the AWS error the caller answers with. */
export interface SigV4Failure {
  kind: 'missing-token' | 'incomplete-signature' | 'unknown-key' | 'invalid-signature';
  message: string;
}

export interface SigV4Identity {
  accessKeyId: string;
  region: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

export function verifySigV4(
  request: SignedRequest,
  options: SigV4VerifyOptions,
): Result<SigV4Identity, SigV4Failure> {
  const headers = collectHeaders(request.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined || authorization === '') {
    return err({ kind: 'missing-token', message: 'Missing Authentication Token' });
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed.ok) return parsed;
  const auth = parsed.value;

  const secret = options.secretFor(auth.accessKeyId);
  if (secret === undefined) {
    return err({
      kind: 'unknown-key',
      message: 'The security token included in the request is invalid.',
    });
  }

  const amzDate = headers.get('x-amz-date') ?? toAmzDate(headers.get('date'));
  if (amzDate === undefined) {
    return err({
      kind: 'incomplete-signature',
      message:
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    });
  }
  const signedAtMs = parseAmzDate(amzDate);
  if (signedAtMs === undefined) {
    return err({
      kind: 'incomplete-signature',
      message: `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`,
    });
  }
  const skew = checkSkew(signedAtMs, amzDate, options);
  if (skew !== undefined) return err({ kind: 'invalid-signature', message: skew });

  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    return err({
      kind: 'invalid-signature',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    });
  }
  if (auth.service !== options.service) {
    return err({
      kind: 'invalid-signature',
      message: `Credential should be scoped to correct service: '${options.service}'. `,
    });
  }
  if (auth.terminator !== 'aws4_request') {
    return err({
      kind: 'invalid-signature',
      message: `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.terminator}'.`,
    });
  }
  if (!auth.signedHeaders.includes('host')) {
    return err({
      kind: 'invalid-signature',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  }

  const bodyHash = sha256Hex(request.body);
  const declaredHash = headers.get('x-amz-content-sha256');
  // JS SDK clients sign this header; a body altered in transit must not pass just because the
  // signature covers the (stale) declared hash.
  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    return err({
      kind: 'invalid-signature',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    });
  }

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url),
    canonicalQuery(request.url),
    auth.signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join(''),
    auth.signedHeaders.join(';'),
    bodyHash,
  ].join('\n');
  const scope = `${auth.scopeDate}/${auth.region}/${auth.service}/${auth.terminator}`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = [auth.scopeDate, auth.region, auth.service, auth.terminator].reduce<Buffer>(
    (key, part) => hmac(key, part),
    Buffer.from(`AWS4${secret}`, 'utf8'),
  );
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'), 'utf8');
  const provided = Buffer.from(auth.signature, 'utf8');
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return err({ kind: 'invalid-signature', message: MISMATCH });
  }
  return ok({ accessKeyId: auth.accessKeyId, region: auth.region });
}

function parseAuthorization(value: string): Result<ParsedAuthorization, SigV4Failure> {
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    return err({
      kind: 'incomplete-signature',
      message: `Authorization header requires the '${ALGORITHM}' algorithm.`,
    });
  }
  const params = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = params.get('Credential');
  const signedHeaders = params.get('SignedHeaders');
  const signature = params.get('Signature');
  const missing = [
    credential ? undefined : 'Credential',
    signedHeaders ? undefined : 'SignedHeaders',
    signature ? undefined : 'Signature',
  ].filter((name): name is string => name !== undefined);
  if (
    credential === undefined ||
    signedHeaders === undefined ||
    signature === undefined ||
    missing.length > 0
  ) {
    return err({
      kind: 'incomplete-signature',
      message: `Authorization header requires ${missing.map((m) => `'${m}'`).join(', ')} parameter(s). Authorization=${trimmed.split(' ')[0] ?? ''}`,
    });
  }
  const scope = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  if (
    scope.length !== 5 ||
    accessKeyId === undefined ||
    accessKeyId === '' ||
    scopeDate === undefined ||
    region === undefined ||
    service === undefined ||
    terminator === undefined
  ) {
    return err({
      kind: 'incomplete-signature',
      message:
        'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.',
    });
  }
  return ok({
    accessKeyId,
    scopeDate,
    region,
    service,
    terminator,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
  });
}

/** Lower-case name → canonical value: repeated headers joined by commas, whitespace collapsed. */
function collectHeaders(rawHeaders: readonly string[]): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim().replace(/\s+/g, ' ');
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

function checkSkew(
  signedAtMs: number,
  amzDate: string,
  options: SigV4VerifyOptions,
): string | undefined {
  const skewMin = Math.round(options.maxSkewMs / 60_000);
  if (signedAtMs < options.nowMs - options.maxSkewMs) {
    return `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(options.nowMs - options.maxSkewMs)} (${formatAmzDate(options.nowMs)} - ${skewMin} min.)`;
  }
  if (signedAtMs > options.nowMs + options.maxSkewMs) {
    return `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(options.nowMs + options.maxSkewMs)} (${formatAmzDate(options.nowMs)} + ${skewMin} min.)`;
  }
  return undefined;
}

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return Number.isNaN(ms) ? undefined : ms;
}

function toAmzDate(httpDate: string | undefined): string | undefined {
  if (httpDate === undefined) return undefined;
  const ms = Date.parse(httpDate);
  return Number.isNaN(ms) ? undefined : formatAmzDate(ms);
}

function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Non-S3 services sign the already-encoded path encoded once more, segment by segment. */
function canonicalUri(url: string): string {
  const path = url.split('?')[0] ?? '';
  if (path === '' || path === '/') return '/';
  return path
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
}

function canonicalQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const pairs = url
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const key = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      return [rfc3986(safeDecode(key)), rfc3986(safeDecode(value))] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
