import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** Smithy's ChecksumConstructor on node:crypto, so the signer needs no extra package. */
export class NodeSha256 {
  #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = createHash('sha256');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** A complete PutEvents request, signed once and sent as often as wanted. */
export interface SignedRequest {
  headers: Record<string, string>;
  body: Buffer;
}

export interface PutEventsSignerOptions {
  /** Base URL of the server; its host and port are signed, as an SDK signs them. */
  baseUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials' token, sent as X-Amz-Security-Token. */
  sessionToken?: string | undefined;
  region: string;
}

/**
 * Signs PutEvents requests as the AWS JS SDK does (service `events`, signed payload hash), with
 * the same reference implementation, ahead of time: signing is the client's cost, and the
 * signatures stay valid for the server's whole skew window (15 minutes by default).
 */
export function putEventsSigner(options: PutEventsSignerOptions) {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
    },
    region: options.region,
    service: 'events',
    sha256: NodeSha256,
    applyChecksum: true,
  });
  const url = new URL(options.baseUrl);

  return async function sign(
    detailType: string,
    detail: Record<string, string>,
  ): Promise<SignedRequest> {
    const body = JSON.stringify({
      Entries: [{ Source: 'lca-solution', DetailType: detailType, Detail: JSON.stringify(detail) }],
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body,
    });
    const bytes = Buffer.from(body, 'utf8');
    const headers: Record<string, string> = { 'content-length': String(bytes.length) };
    for (const [name, value] of Object.entries(signed.headers)) headers[name] = String(value);
    return { headers, body: bytes };
  };
}
