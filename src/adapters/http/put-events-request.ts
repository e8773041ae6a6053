import type { StartCallProcessingDetail } from '../../domain/call.js';
import {
  CONTROL_EVENT_SOURCE,
  isControlEventType,
  type ControlEventType,
} from '../../domain/control-event.js';
import { err, ok, type Result } from '../../domain/result.js';
import { awsErrors, type AwsJsonError } from './aws-json-errors.js';

/**
 * PutEvents request validation with EventBridge's own codes and messages, so clients that
 * inspect failures see what AWS would have told them. Request-level problems fail the whole
 * call; entry-level problems fail only that entry (HTTP 200, FailedEntryCount > 0).
 */
export const MAX_ENTRIES = 10;

export type PlannedEntry =
  | { kind: 'failed'; errorCode: string; errorMessage: string }
  /** Accepted by the bus but matched by no rule, as AWS does for unrelated events. */
  | { kind: 'ignored' }
  | { kind: 'control'; type: ControlEventType; detail: StartCallProcessingDetail };

/** An entry as it arrives on the wire; every member is optional in the AWS model. */
export interface RawEntry {
  Time?: unknown;
  Source?: unknown;
  Resources?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  TraceHeader?: unknown;
}

export function planPutEvents(
  body: unknown,
  maxEntryBytes: number,
): Result<PlannedEntry[], AwsJsonError> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err(awsErrors.serialization('The request body must be a JSON object.'));
  }
  const entries = (body as { Entries?: unknown }).Entries;
  if (entries === undefined || entries === null) {
    return err(
      awsErrors.validation(
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      ),
    );
  }
  if (!Array.isArray(entries)) {
    return err(awsErrors.serialization('Entries must be a list.'));
  }
  const typed = entries as RawEntry[];
  if (typed.length < 1) {
    return err(
      awsErrors.validation(
        "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      ),
    );
  }
  if (typed.length > MAX_ENTRIES) {
    return err(
      awsErrors.validation(
        `1 validation error detected: Value '[${typed.map(describeEntry).join(', ')}]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      ),
    );
  }
  const shapeError = entries.findIndex((e) => !isValidShape(e));
  if (shapeError >= 0) {
    return err(
      awsErrors.serialization(
        `Entries[${shapeError}] must be an object whose Source, DetailType, Detail, EventBusName and TraceHeader are strings, Resources a list of strings and Time a number.`,
      ),
    );
  }
  const totalBytes = typed.reduce((sum, entry) => sum + entrySizeBytes(entry), 0);
  if (totalBytes > maxEntryBytes) {
    return err(awsErrors.validation('Total size of the entries in the request is over the limit.'));
  }
  return ok(typed.map(planEntry));
}

/** The AWS user guide's "Calculating PutEvents event entry size". */
export function entrySizeBytes(entry: RawEntry): number {
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  for (const field of [entry.Source, entry.DetailType, entry.Detail]) {
    if (typeof field === 'string') size += Buffer.byteLength(field, 'utf8');
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources) {
      if (typeof resource === 'string') size += Buffer.byteLength(resource, 'utf8');
    }
  }
  return size;
}

function planEntry(entry: RawEntry): PlannedEntry {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[field];
    if (typeof value !== 'string' || value === '') {
      return {
        kind: 'failed',
        errorCode: 'InvalidArgument',
        errorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  const detail = parseDetail(entry.Detail as string);
  if (detail === undefined)
    return { kind: 'failed', errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' };
  if (entry.Source !== CONTROL_EVENT_SOURCE || !isControlEventType(entry.DetailType))
    return { kind: 'ignored' };
  const control = controlDetail(entry.DetailType, detail);
  if (!control.ok)
    return { kind: 'failed', errorCode: 'InvalidArgument', errorMessage: control.error };
  return { kind: 'control', type: entry.DetailType, detail: control.value };
}

/**
 * The fields callscribe acts on. EventBridge itself would accept any detail, but an event the
 * router can never apply is better refused where the sender can still see it.
 */
export function controlDetail(
  type: ControlEventType,
  detail: Record<string, unknown>,
): Result<StartCallProcessingDetail, string> {
  const callId = detail.callId;
  if (typeof callId !== 'string' || callId.trim() === '') {
    return err(
      `Parameter Detail is not valid. Reason: detail.callId is required for ${type} and must be a non-empty string.`,
    );
  }
  const result: StartCallProcessingDetail = { callId };
  for (const field of ['agentId', 'toNumber', 'fromNumber'] as const) {
    const value = detail[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      return err(`Parameter Detail is not valid. Reason: detail.${field} must be a string.`);
    }
    result[field] = value;
  }
  if (type === 'UPDATE_AGENT' && (result.agentId === undefined || result.agentId.trim() === '')) {
    return err(
      'Parameter Detail is not valid. Reason: detail.agentId is required for UPDATE_AGENT and must be a non-empty string.',
    );
  }
  return ok(result);
}

function parseDetail(raw: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

function isValidShape(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const e = entry as RawEntry;
  const optionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';
  return (
    optionalString(e.Source) &&
    optionalString(e.DetailType) &&
    optionalString(e.Detail) &&
    optionalString(e.EventBusName) &&
    optionalString(e.TraceHeader) &&
    (e.Time === undefined || e.Time === null || typeof e.Time === 'number') &&
    (e.Resources === undefined ||
      e.Resources === null ||
      (Array.isArray(e.Resources) && e.Resources.every((r) => typeof r === 'string')))
  );
}

/** AWS echoes the request in Java's toString form in the "too many entries" message. */
function describeEntry(entry: RawEntry): string {
  if (typeof entry !== 'object' || entry === null) return String(entry);
  const show = (v: unknown) =>
    v === undefined || v === null ? 'null' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
  return `PutEventsRequestEntry(time=${show(entry.Time)}, source=${show(entry.Source)}, resources=${show(entry.Resources)}, detailType=${show(entry.DetailType)}, detail=${show(entry.Detail)}, eventBusName=${show(entry.EventBusName)}, traceHeader=${show(entry.TraceHeader)}, kmsKeyIdentifier=null, internalMetadata=null)`;
}
