import { putEntry } from '../../test/support/put-events.js';

/** One PutEvents entry to a node's EventBridge-compatible endpoint; throws unless it was accepted. */
export async function putEvent(
  baseUrl: string,
  type: string,
  detail: Record<string, string>,
): Promise<void> {
  const result = await putEntry(baseUrl, type, detail);
  if (!('eventId' in result)) throw new Error(`PutEvents failed: ${result.errorCode}`);
}
