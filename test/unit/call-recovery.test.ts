import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/call-event.js';
import type { CallData } from '../../src/domain/call.js';
import { AppError } from '../../src/domain/errors.js';
import { wavHeader } from '../../src/adapters/recording/wav-header.js';
import { sampleCall } from '../contract/call-store-contract.js';
import { buildAppHarness, newSession } from '../support/app-harness.js';
import { answeredSession } from '../support/answered-session.js';

type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
let h: Harness;
afterEach(async () => h?.close());

/** A call an earlier run of node-a left behind, with the events it had published. */
async function leftBehind(overrides: Partial<CallData>, published: CallEvent['EventType'][]) {
  const call = sampleCall({ ownerNodeId: 'node-a', ...overrides });
  await h.store.create(call);
  for (const type of published) {
    const base = { CallId: call.callId, CreatedAt: new Date().toISOString() };
    if (type === 'CALL_STATE') {
      await h.eventStream.append({
        ...base,
        EventType: 'CALL_STATE',
        State: call.state,
        CustomerPhoneNumber: call.fromNumber,
        SystemPhoneNumber: call.toNumber,
      });
    } else if (type === 'START' || type === 'END') {
      await h.eventStream.append({
        ...base,
        EventType: type,
        CustomerPhoneNumber: call.fromNumber,
        SystemPhoneNumber: call.toNumber,
      });
    } else if (type === 'ADD_TRANSCRIPT_SEGMENT') {
      await h.eventStream.append({
        ...base,
        EventType: 'ADD_TRANSCRIPT_SEGMENT',
        Channel: 'CALLER',
        SegmentId: 's1',
        StartTime: 0,
        EndTime: 1,
        Transcript: 'hello',
        IsPartial: false,
      });
    }
  }
  return call;
}

async function eventsOf(callId: string) {
  return (await h.eventStream.read({ callId })).map((e) => e.event);
}

const endedState = { EventType: 'CALL_STATE', State: 'ENDED' };

describe('restart recovery', () => {
  it('ends every call an earlier run left live, with node-restart, an end time and its closing events', async () => {
    h = await buildAppHarness();
    const parked = await leftBehind({ callId: 'parked', state: 'PENDING' }, ['CALL_STATE']);
    const processing = await leftBehind(
      {
        callId: 'processing',
        state: 'PROCESSING',
        callProcessingStartTime: '2026-03-01T10:00:01.000Z',
      },
      ['CALL_STATE', 'START', 'CALL_STATE', 'ADD_TRANSCRIPT_SEGMENT'],
    );
    const paused = await leftBehind({ callId: 'paused', state: 'PAUSED' }, ['START', 'CALL_STATE']);
    const done = await leftBehind({ callId: 'done', state: 'ENDED', endReason: 'bye' }, [
      'START',
      'END',
    ]);

    const result = await h.recovery.recoverAtStart();
    expect(result.ended).toBe(3);

    for (const call of [parked, processing, paused]) {
      const stored = (await h.store.get(call.callId))?.call;
      expect(stored).toMatchObject({ state: 'ENDED', endReason: 'node-restart' });
      expect(Date.parse(stored?.callStreamingEndTime ?? '')).toBeGreaterThan(Date.now() - 10_000);
    }
    expect((await eventsOf('parked')).map((e) => e.EventType)).toEqual([
      'CALL_STATE',
      'CALL_STATE',
    ]);
    expect((await eventsOf('parked')).at(-1)).toMatchObject(endedState);
    // END only for calls whose START went out, after the final state, as a live end sends them.
    expect((await eventsOf('processing')).slice(-2)).toMatchObject([
      endedState,
      { EventType: 'END', CustomerPhoneNumber: processing.fromNumber },
    ]);
    expect((await eventsOf('paused')).slice(-2)).toMatchObject([endedState, { EventType: 'END' }]);
    expect((await h.store.get(done.callId))?.call.endReason).toBe('bye');
    expect((await eventsOf('done')).map((e) => e.EventType)).toEqual(['START', 'END']);

    // Running again (a second restart) changes nothing: exactly once.
    const before = await h.eventStream.read({});
    expect((await h.recovery.recoverAtStart()).ended).toBe(0);
    expect(await h.eventStream.read({})).toEqual(before);
    const recovered = await h.metrics.registry
      .getSingleMetric('callscribe_calls_recovered_total')
      ?.get();
    expect(recovered?.values.find((v) => v.labels.reason === 'node-restart')?.value).toBe(3);
    expect(h.captured.messages()).toContain(
      'call ended: its media was lost with an earlier run of this node',
    );
  });

  it('finishes a recovery a crash interrupted without repeating what it had published', async () => {
    h = await buildAppHarness();
    // Claimed and its final state published, then the process died before END.
    await leftBehind(
      {
        callId: 'half',
        state: 'PROCESSING',
        endReason: 'node-restart',
        callStreamingEndTime: '2026-03-01T10:05:00.000Z',
      },
      ['START', 'CALL_STATE'],
    );
    await h.eventStream.append({
      EventType: 'CALL_STATE',
      State: 'ENDED',
      CallId: 'half',
      CreatedAt: new Date().toISOString(),
      CustomerPhoneNumber: 'x',
      SystemPhoneNumber: 'y',
    });
    await h.recovery.recoverAtStart();
    expect((await eventsOf('half')).map((e) => e.EventType)).toEqual([
      'START',
      'CALL_STATE',
      'CALL_STATE',
      'END',
    ]);
    // The end time recorded when the end began stays.
    expect((await h.store.get('half'))?.call).toMatchObject({
      state: 'ENDED',
      callStreamingEndTime: '2026-03-01T10:05:00.000Z',
    });
  });

  it("completes a live end the crash cut short, keeping the call's own reason", async () => {
    h = await buildAppHarness();
    // BYE arrived: the reason was stored and END published, then the process died before ENDED.
    await leftBehind(
      {
        callId: 'bye',
        state: 'PROCESSING',
        endReason: 'bye',
        callStreamingEndTime: '2026-03-01T10:05:00.000Z',
      },
      ['START', 'CALL_STATE', 'END'],
    );
    await h.eventStream.append({
      EventType: 'CALL_STATE',
      State: 'ENDED',
      CallId: 'bye',
      CreatedAt: new Date().toISOString(),
      CustomerPhoneNumber: 'x',
      SystemPhoneNumber: 'y',
    });
    await h.recovery.recoverAtStart();
    expect((await h.store.get('bye'))?.call).toMatchObject({ state: 'ENDED', endReason: 'bye' });
    expect((await eventsOf('bye')).filter((e) => e.EventType === 'END')).toHaveLength(1);
  });

  it('announces a recording repaired at start, after END, also for a call that had already ended', async () => {
    h = await buildAppHarness();
    await leftBehind({ callId: 'rec-live', state: 'PROCESSING' }, ['START']);
    await leftBehind({ callId: 'rec-ended', state: 'ENDED', endReason: 'bye' }, ['START', 'END']);
    const audio = Buffer.alloc(8000 * 4 + 3, 1);
    for (const callId of ['rec-live', 'rec-ended']) {
      writeFileSync(
        join(h.dataDir, 'recordings', `${callId}.wav.part`),
        Buffer.concat([wavHeader({ sampleRateHz: 8000, channels: 2 }), audio]),
      );
    }
    const result = await h.recovery.recoverAtStart();
    expect(result).toEqual({ ended: 1, recordings: 2 });
    const url = 'http://127.0.0.1:8080/api/calls/rec-live/recording';
    expect((await eventsOf('rec-live')).map((e) => e.EventType)).toEqual([
      'START',
      'CALL_STATE',
      'END',
      'ADD_S3_RECORDING_URL',
    ]);
    expect((await eventsOf('rec-live')).at(-1)).toMatchObject({ RecordingUrl: url });
    expect((await eventsOf('rec-ended')).map((e) => e.EventType)).toEqual([
      'START',
      'END',
      'ADD_S3_RECORDING_URL',
    ]);
    expect(await h.recorder.pathFor('rec-live')).toBe(
      join(h.dataDir, 'recordings', 'rec-live.wav'),
    );
    await h.recovery.recoverAtStart();
    expect((await eventsOf('rec-ended')).map((e) => e.EventType)).toHaveLength(3);
  });

  it('leaves calls of a live node and calls held by this process alone', async () => {
    h = await buildAppHarness();
    await leftBehind({ callId: 'other', ownerNodeId: 'node-b', state: 'PROCESSING' }, []);
    const held = await answeredSession(h.service, newSession({ callId: 'held' }));
    expect(held.accepted).toBe(true);
    // node-b has no lease on a single node: its call is an earlier identity's, ended as owner-lost.
    expect((await h.recovery.recoverAtStart()).ended).toBe(1);
    expect((await h.store.get('other'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'owner-lost',
    });
    expect(await h.recovery.recover('held', 'node-restart')).toBe('held-live');
    expect((await h.store.get('held'))?.call.state).toBe('PROCESSING');
  });

  it('a control event for a recovered call gets the ended-call outcome', async () => {
    h = await buildAppHarness();
    await leftBehind({ callId: 'gone', state: 'PENDING' }, ['CALL_STATE']);
    await h.recovery.recoverAtStart();
    const outcome = await h.router.submit(
      { type: 'START_CALL_PROCESSING', detail: { callId: 'gone' }, ingress: 'putevents' },
      { holdIfUnknown: true },
    );
    expect(outcome).toMatchObject({
      status: 'rejected',
      code: 'CALL_ENDED',
      reason: 'call ended (node-restart)',
    });
  });

  it('a control event that finds an orphan before recovery did ends it the same way', async () => {
    h = await buildAppHarness();
    await leftBehind({ callId: 'orphan', state: 'PROCESSING' }, ['START']);
    const outcome = await h.router.submit(
      { type: 'STOP_CALL_PROCESSING', detail: { callId: 'orphan' }, ingress: 'rest' },
      { holdIfUnknown: false },
    );
    expect(outcome).toMatchObject({ status: 'rejected', code: 'CALL_ENDED' });
    expect((await eventsOf('orphan')).map((e) => e.EventType)).toEqual([
      'START',
      'CALL_STATE',
      'END',
    ]);
    expect((await h.store.get('orphan'))?.call).toMatchObject({
      state: 'ENDED',
      endReason: 'node-restart',
    });
  });

  it('retries in the background while the store refuses writes, then completes once', async () => {
    h = await buildAppHarness();
    await leftBehind({ callId: 'retry', state: 'PROCESSING' }, ['START']);
    const append = h.eventStream.append.bind(h.eventStream);
    let failures = 3;
    h.eventStream.append = async (event) => {
      if (failures-- > 0) {
        throw new AppError('EVENT_STREAM_UNAVAILABLE', 'disk full', { retryable: true });
      }
      return append(event);
    };
    await h.recovery.recoverAtStart();
    expect((await h.store.get('retry'))?.call).toMatchObject({
      state: 'PROCESSING',
      endReason: 'node-restart',
    });
    await expect
      .poll(async () => (await h.store.get('retry'))?.call.state, { timeout: 10_000 })
      .toBe('ENDED');
    expect((await eventsOf('retry')).map((e) => e.EventType)).toEqual([
      'START',
      'CALL_STATE',
      'END',
    ]);
    expect(h.captured.messages()).toContain('call could not be recovered; retried later');
  });
});
