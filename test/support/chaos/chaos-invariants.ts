import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CallEvent, StoredCallEvent } from '../../../src/domain/call-event.js';
import type { StoredCalls } from '../stored-calls.js';
import { checkWav } from '../wav-check.js';

/** A PutEvents entry the node acknowledged with an EventId. */
export interface AckedControlEvent {
  eventId: string;
  type: 'START_CALL_PROCESSING' | 'STOP_CALL_PROCESSING' | 'UPDATE_AGENT';
  callId: string;
  /** UPDATE_AGENT's agent, unique per event so its effect can be found. */
  agentId?: string;
}

export interface InvariantInput {
  stored: StoredCalls;
  /** Every call the SBC placed (answered or not). */
  placedCallIds: string[];
  recordingsDir: string;
  acked: AckedControlEvent[];
}

export interface InvariantReport {
  violations: string[];
  calls: number;
  endReasons: Record<string, number>;
  recordings: number;
  eventsChecked: number;
  ackedOutcomes: Record<string, number>;
}

type CallState = 'PENDING' | 'PROCESSING' | 'PAUSED' | 'ENDED';
const next: Record<CallState, CallState[]> = {
  PENDING: ['PROCESSING', 'ENDED'],
  PROCESSING: ['PAUSED', 'ENDED'],
  PAUSED: ['PROCESSING', 'ENDED'],
  ENDED: [],
};

/**
 * The chaos test's invariants, read from what the node stored (through the same adapters),
 * after the last restart:
 *  - every call is ENDED with a reason and an end time;
 *  - no `.part` is left, every recording is a valid WAV, each announced once, each announcement
 *    pointing at one;
 *  - each call's stream is in order (ids increasing), its CALL_STATEs follow the lifecycle
 *    without a missing step, START comes once and before any segment, END comes once when START
 *    did and never otherwise, and the closing events come last;
 *  - every acknowledged control event has its stored outcome, and an applied one its effect.
 */
export async function checkChaosInvariants(input: InvariantInput): Promise<InvariantReport> {
  const violations: string[] = [];
  const endReasons: Record<string, number> = {};
  const fail = (callId: string, why: string) => violations.push(`${callId}: ${why}`);
  const streams = new Map<string, CallEvent[]>();
  let eventsChecked = 0;

  const storedCalls = await input.stored.store.list({ limit: 100_000 });
  const callIds = new Set([...input.placedCallIds, ...storedCalls.map((s) => s.call.callId)]);
  const knownCalls = new Set<string>();
  for (const callId of callIds) {
    const record = (await input.stored.store.get(callId))?.call;
    if (!record) continue; // refused or never reached the node: nothing was promised
    knownCalls.add(callId);
    if (record.state !== 'ENDED') fail(callId, `state ${record.state}, not ENDED`);
    if (!record.endReason) fail(callId, 'ENDED without an endReason');
    if (!record.callStreamingEndTime) fail(callId, 'ENDED without a callStreamingEndTime');
    endReasons[record.endReason ?? 'none'] = (endReasons[record.endReason ?? 'none'] ?? 0) + 1;

    const entries = await input.stored.eventStream.read({ callId, limit: 100_000 });
    eventsChecked += entries.length;
    streams.set(
      callId,
      entries.map((e) => e.event),
    );
    for (const why of streamViolations(entries)) fail(callId, why);
    // The other way round is allowed: a crash between storing PROCESSING and publishing START
    // leaves a start time that no event announced (and no acknowledged START).
    if (entries.some((e) => e.event.EventType === 'START') && !record.callProcessingStartTime)
      fail(callId, 'START published but no callProcessingStartTime stored');
  }

  // Recordings: whole files only, each announced exactly once.
  const files = existsSync(input.recordingsDir) ? readdirSync(input.recordingsDir) : [];
  for (const name of files.filter((f) => f.endsWith('.part'))) fail(name, 'left as .part');
  const wavs = files.filter((f) => f.endsWith('.wav'));
  for (const name of wavs) {
    const callId = decodeURIComponent(name.slice(0, -'.wav'.length));
    try {
      checkWav(join(input.recordingsDir, name));
    } catch (error) {
      fail(callId, (error as Error).message);
    }
    const announced = (streams.get(callId) ?? []).filter(
      (e) => e.EventType === 'ADD_S3_RECORDING_URL',
    ).length;
    if (announced !== 1) fail(callId, `recording announced ${announced} times`);
  }
  for (const [callId, events] of streams) {
    const announced = events.some((e) => e.EventType === 'ADD_S3_RECORDING_URL');
    if (announced && !wavs.includes(`${encodeURIComponent(callId)}.wav`))
      fail(callId, 'ADD_S3_RECORDING_URL for a recording that is not there');
  }

  // Acknowledged control events: the outcome is stored, and an applied one took effect.
  const ackedOutcomes: Record<string, number> = {};
  for (const acked of input.acked) {
    const outcome = await input.stored.store.getControlOutcome(acked.eventId);
    if (!outcome) {
      fail(acked.callId, `acknowledged ${acked.type} ${acked.eventId} has no stored outcome`);
      continue;
    }
    const key = `${acked.type} ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
    ackedOutcomes[key] = (ackedOutcomes[key] ?? 0) + 1;
    if (outcome.type !== acked.type || outcome.requestedCallId !== acked.callId)
      fail(
        acked.callId,
        `outcome ${acked.eventId} is for ${outcome.type} ${outcome.requestedCallId}`,
      );
    if (outcome.status === 'pending')
      fail(acked.callId, `${acked.eventId} still pending for a call that exists`);
    if (outcome.status !== 'applied') continue;
    const events = streams.get(acked.callId) ?? [];
    const effect =
      acked.type === 'UPDATE_AGENT'
        ? events.some((e) => e.EventType === 'UPDATE_AGENT' && e.AgentId === acked.agentId)
        : events.some(
            (e) =>
              e.EventType === 'CALL_STATE' &&
              e.State === (acked.type === 'START_CALL_PROCESSING' ? 'PROCESSING' : 'PAUSED'),
          );
    if (!effect) fail(acked.callId, `applied ${acked.type} ${acked.eventId} left no event`);
  }

  return {
    violations,
    calls: knownCalls.size,
    endReasons,
    recordings: wavs.length,
    eventsChecked,
    ackedOutcomes,
  };
}

function streamViolations(entries: StoredCallEvent[]): string[] {
  const out: string[] = [];
  const events = entries.map((e) => e.event);
  for (let i = 1; i < entries.length; i++) {
    if (compareIds(entries[i - 1]!.id, entries[i]!.id) >= 0)
      out.push(`event ids out of order: ${entries[i - 1]!.id} then ${entries[i]!.id}`);
  }
  const types = events.map((e) => e.EventType);
  const count = (type: string) => types.filter((t) => t === type).length;
  if (count('START') > 1) out.push(`${count('START')} START events`);
  if (count('END') > 1) out.push(`${count('END')} END events`);
  if (count('START') !== count('END'))
    out.push(`START ${count('START')} time(s) but END ${count('END')} time(s)`);
  const firstSegment = types.indexOf('ADD_TRANSCRIPT_SEGMENT');
  if (
    firstSegment !== -1 &&
    (types.indexOf('START') === -1 || types.indexOf('START') > firstSegment)
  )
    out.push('a transcript segment before START');

  // The lifecycle, step by step: the first state, then only allowed moves.
  let state: CallState | undefined;
  for (const event of events) {
    if (event.EventType !== 'CALL_STATE') continue;
    if (state === undefined) {
      if (event.State !== 'PENDING' && event.State !== 'PROCESSING' && event.State !== 'ENDED')
        out.push(`first state ${event.State}`);
    } else if (!next[state].includes(event.State)) {
      out.push(`CALL_STATE ${state} → ${event.State}`);
    }
    state = event.State;
  }
  if (state !== 'ENDED') out.push(`last CALL_STATE ${state ?? 'none'}, not ENDED`);

  // Closing events: CALL_STATE ENDED, END (when started), ADD_S3_RECORDING_URL (when recorded), last.
  const endedAt = events.findIndex((e) => e.EventType === 'CALL_STATE' && e.State === 'ENDED');
  const tail = types.slice(endedAt);
  const expected = ['CALL_STATE', ...(count('START') > 0 ? ['END'] : [])];
  if (endedAt === -1 || tail.slice(0, expected.length).join() !== expected.join())
    out.push(`closing events ${tail.join(',')}`);
  else if (tail.slice(expected.length).some((t) => t !== 'ADD_S3_RECORDING_URL'))
    out.push(`events after the end: ${tail.join(',')}`);
  if (count('ADD_S3_RECORDING_URL') > 1) out.push('recording announced more than once');
  return out;
}

/** SQLite ids are integers; Redis stream ids are `<ms>-<seq>`. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
