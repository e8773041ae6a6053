import { randomUUID } from 'node:crypto';
import { putEventsSigner } from './put-events-signer.js';

/**
 * Sends one control event through the EventBridge-compatible PutEvents API, exactly as an AWS
 * SDK would (AWS JSON 1.1, SigV4-signed when credentials are given), so the CLI exercises the
 * same path as users' scripts.
 */
export async function putControlEvent(options: {
  baseUrl: string;
  detailType: string;
  detail: Record<string, string>;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}): Promise<{
  eventId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
}> {
  const request = options.credentials
    ? await putEventsSigner({
        baseUrl: options.baseUrl,
        region: 'us-east-1',
        ...options.credentials,
      })(options.detailType, options.detail)
    : {
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
          'amz-sdk-invocation-id': randomUUID(),
        },
        body: Buffer.from(
          JSON.stringify({
            Entries: [
              {
                Source: 'lca-solution',
                DetailType: options.detailType,
                Detail: JSON.stringify(options.detail),
              },
            ],
          }),
        ),
      };
  const { host: _host, 'content-length': _length, ...headers } = request.headers;
  const response = await fetch(new URL('/', options.baseUrl), {
    method: 'POST',
    headers,
    body: request.body,
  });
  const body = (await response.json()) as {
    Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
    __type?: string;
    message?: string;
  };
  if (!response.ok)
    return { eventId: undefined, errorCode: body.__type, errorMessage: body.message };
  const entry = body.Entries?.[0];
  return {
    eventId: entry?.EventId,
    errorCode: entry?.ErrorCode,
    errorMessage: entry?.ErrorMessage,
  };
}
