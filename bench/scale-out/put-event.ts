/** One PutEvents entry to a node's EventBridge-compatible endpoint; throws unless it was accepted. */
export async function putEvent(
  baseUrl: string,
  type: string,
  detail: Record<string, string>,
): Promise<void> {
  const res = await fetch(`${baseUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSEvents.PutEvents',
    },
    body: JSON.stringify({
      Entries: [{ Source: 'lca-solution', DetailType: type, Detail: JSON.stringify(detail) }],
    }),
  });
  const body = (await res.json()) as { FailedEntryCount?: number };
  if (res.status !== 200 || body.FailedEntryCount !== 0)
    throw new Error(`PutEvents failed: ${res.status}`);
}
