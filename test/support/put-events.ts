/** The result of one PutEvents entry: its EventId when acknowledged, its error otherwise. */
export type PutEntryResult = { eventId: string } | { errorCode: string; errorMessage: string };

/** One control event through a node's EventBridge-compatible PutEvents endpoint, unsigned. */
export async function putEntry(
  baseUrl: string,
  type: string,
  detail: Record<string, string>,
): Promise<PutEntryResult> {
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
  if (res.status !== 200) throw new Error(`PutEvents answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as {
    Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
  };
  const entry = body.Entries[0];
  if (entry?.EventId) return { eventId: entry.EventId };
  return { errorCode: entry?.ErrorCode ?? 'missing', errorMessage: entry?.ErrorMessage ?? '' };
}
