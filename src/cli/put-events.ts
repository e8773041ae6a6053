import { randomUUID } from 'node:crypto';

/**
 * Sends one control event through the EventBridge-compatible PutEvents API, exactly as an AWS
 * SDK would (AWS JSON 1.1), so the CLI exercises the same path as users' scripts. Requests are
 * unsigned; with access keys configured use an AWS SDK or the aws CLI instead.
 */
export async function putControlEvent(options: {
  baseUrl: string;
  detailType: string;
  detail: Record<string, string>;
}): Promise<{ eventId: string | undefined; errorCode: string | undefined; errorMessage: string | undefined }> {
  const response = await fetch(new URL('/', options.baseUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
      'amz-sdk-invocation-id': randomUUID(),
    },
    body: JSON.stringify({
      Entries: [{ Source: 'lca-solution', DetailType: options.detailType, Detail: JSON.stringify(options.detail) }],
    }),
  });
  const body = (await response.json()) as {
    Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
    __type?: string;
    message?: string;
  };
  if (!response.ok) return { eventId: undefined, errorCode: body.__type, errorMessage: body.message };
  const entry = body.Entries?.[0];
  return { eventId: entry?.EventId, errorCode: entry?.ErrorCode, errorMessage: entry?.ErrorMessage };
}
