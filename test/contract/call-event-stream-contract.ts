import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddTranscriptSegmentEvent, StoredCallEvent } from '../../src/domain/call-event.js';
import { AppError } from '../../src/domain/errors.js';
import type { CallEventStream } from '../../src/ports/call-event-stream.js';

export interface CallEventStreamUnderTest {
  stream: CallEventStream;
  /** Deletes expired events and returns how many went, when the adapter sweeps explicitly. */
  sweepExpired?: () => Promise<number>;
  /**
   * Makes the stream's writes fail as a storage outage would (SQLite: another process holds the
   * write lock; Redis: the connection is cut) and returns what ends the outage. Absent where the
   * factory cannot do that; the failure case is then skipped, visibly.
   */
  failWrites?: () => Promise<() => Promise<void>>;
  /** Releases what the factory made; the suite closes the stream first. */
  cleanup(): Promise<void>;
}

/**
 * Makes an EMPTY stream. As in the call-store contract, `now` starts at the real time and the
 * suite moves it forward; the adapter must decide expiry with `now()`. Events expire with their
 * call: `ttlMs` after the call's last appended event.
 */
export type MakeCallEventStream = (options: {
  ttlMs: number;
  now: () => number;
  /** Group commit: how long an append waits for others to join its group (adapter default when absent). */
  commitIntervalMs?: number;
  /** Group commit: a group this large is committed at once. */
  commitMaxEvents?: number;
}) => Promise<CallEventStreamUnderTest>;

const TTL_MS = 60_000;

function segment(callId: string, n: number): AddTranscriptSegmentEvent {
  return {
    EventType: 'ADD_TRANSCRIPT_SEGMENT',
    CallId: callId,
    CreatedAt: new Date(1_772_000_000_000 + n).toISOString(),
    Channel: n % 2 === 0 ? 'CALLER' : 'AGENT',
    SegmentId: `seg-${n}`,
    StartTime: n,
    EndTime: n + 0.5,
    Transcript: `utterance number ${n}`,
    IsPartial: false,
    Confidence: 0.9,
  };
}

const ids = (events: StoredCallEvent[]): string[] => events.map((e) => e.id);
const segmentIds = (events: StoredCallEvent[]): string[] =>
  events.map((e) =>
    e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT' ? e.event.SegmentId : e.event.EventType,
  );

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Yields to the event loop so subscriptions' history reads interleave with appends. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function describeCallEventStreamContract(name: string, make: MakeCallEventStream): void {
  describe(`CallEventStream contract: ${name}`, () => {
    let clockMs = 0;
    const now = (): number => clockMs;
    let subject: CallEventStreamUnderTest;
    let stream: CallEventStream;
    const unsubscribers: (() => void)[] = [];
    const subscribe = (
      query: Parameters<CallEventStream['subscribe']>[0],
      into: StoredCallEvent[],
    ): (() => void) => {
      const stop = stream.subscribe(query, (e) => into.push(e));
      unsubscribers.push(stop);
      return stop;
    };

    beforeEach(async () => {
      clockMs = Date.now();
      subject = await make({ ttlMs: TTL_MS, now });
      stream = subject.stream;
    });

    afterEach(async () => {
      for (const stop of unsubscribers.splice(0)) stop();
      await stream.close();
      await subject.cleanup();
    });

    it('appends durably with increasing decimal ids and reads back in order', async () => {
      const callId = `call-${randomUUID()}`;
      const stored: StoredCallEvent[] = [];
      for (let n = 0; n < 5; n++) stored.push(await stream.append(segment(callId, n)));
      for (const s of stored) expect(s.id).toMatch(/^\d+$/);
      const numeric = stored.map((s) => Number(s.id));
      expect([...numeric].sort((a, b) => a - b)).toEqual(numeric);
      expect(new Set(numeric).size).toBe(5);
      expect(stored[2]?.event).toEqual(segment(callId, 2));

      const all = await stream.read({});
      expect(all).toEqual(stored);
      expect(await stream.read({ afterId: stored[2]?.id })).toEqual(stored.slice(3));
      expect(await stream.read({ limit: 2 })).toEqual(stored.slice(0, 2));
      expect(await stream.read({ afterId: stored[0]?.id, limit: 2 })).toEqual(stored.slice(1, 3));
      expect(await stream.read({ afterId: stored[4]?.id })).toEqual([]);
    });

    it('shares one id space across calls and filters per call', async () => {
      const a = `call-a-${randomUUID()}`;
      const b = `call-b-${randomUUID()}`;
      const order: StoredCallEvent[] = [];
      for (let n = 0; n < 6; n++) order.push(await stream.append(segment(n % 3 === 0 ? b : a, n)));

      expect(ids(await stream.read({}))).toEqual(ids(order));
      const onlyA = await stream.read({ callId: a });
      expect(segmentIds(onlyA)).toEqual(['seg-1', 'seg-2', 'seg-4', 'seg-5']);
      expect(ids(onlyA)).toEqual(ids(order.filter((e) => e.event.CallId === a)));
      const bAfterFirst = await stream.read({ callId: b, afterId: order[0]?.id });
      expect(segmentIds(bAfterFirst)).toEqual(['seg-3']);
      // An afterId taken from the all-calls feed works on a per-call feed too.
      expect(segmentIds(await stream.read({ callId: a, afterId: order[3]?.id }))).toEqual([
        'seg-4',
        'seg-5',
      ]);
      expect(await stream.read({ callId: `none-${randomUUID()}` })).toEqual([]);
    });

    it('refuses an afterId that is not an event id', async () => {
      const error = await stream.read({ afterId: 'not-an-id' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('INVALID_REQUEST');
    });

    it('delivers history after afterId, then live events, without duplicates', async () => {
      const callId = `call-${randomUUID()}`;
      const history: StoredCallEvent[] = [];
      for (let n = 0; n < 4; n++) history.push(await stream.append(segment(callId, n)));

      const fromStart: StoredCallEvent[] = [];
      const fromSecond: StoredCallEvent[] = [];
      subscribe({}, fromStart);
      subscribe({ afterId: history[1]?.id }, fromSecond);
      await waitFor(() => fromStart.length === 4 && fromSecond.length === 2, 'history');

      const live = [
        await stream.append(segment(callId, 4)),
        await stream.append(segment(callId, 5)),
      ];
      await waitFor(() => fromStart.length === 6 && fromSecond.length === 4, 'live events');
      expect(fromStart).toEqual([...history, ...live]);
      expect(fromSecond).toEqual([...history.slice(2), ...live]);
    });

    it('filters subscriptions per call while the all-calls subscription sees everything', async () => {
      const a = `call-a-${randomUUID()}`;
      const b = `call-b-${randomUUID()}`;
      await stream.append(segment(a, 0));
      await stream.append(segment(b, 1));
      const seenA: StoredCallEvent[] = [];
      const seenB: StoredCallEvent[] = [];
      const seenAll: StoredCallEvent[] = [];
      subscribe({ callId: a }, seenA);
      subscribe({ callId: b }, seenB);
      subscribe({}, seenAll);
      await stream.append(segment(a, 2));
      await stream.append(segment(b, 3));
      await stream.append(segment(a, 4));
      await waitFor(
        () => seenAll.length === 5 && seenA.length === 3 && seenB.length === 2,
        'filtered events',
      );
      expect(segmentIds(seenA)).toEqual(['seg-0', 'seg-2', 'seg-4']);
      expect(segmentIds(seenB)).toEqual(['seg-1', 'seg-3']);
      expect(segmentIds(seenAll)).toEqual(['seg-0', 'seg-1', 'seg-2', 'seg-3', 'seg-4']);
    });

    it('stops delivering after unsubscribe, and one throwing subscriber does not affect others', async () => {
      const callId = `call-${randomUUID()}`;
      const stopped: StoredCallEvent[] = [];
      const healthy: StoredCallEvent[] = [];
      const stop = subscribe({ callId }, stopped);
      unsubscribers.push(
        stream.subscribe({ callId }, () => {
          throw new Error('subscriber socket is gone');
        }),
      );
      subscribe({ callId }, healthy);
      await stream.append(segment(callId, 0));
      await waitFor(() => stopped.length === 1 && healthy.length === 1, 'first event');
      stop();
      await stream.append(segment(callId, 1));
      await stream.append(segment(callId, 2));
      await waitFor(() => healthy.length === 3, 'later events');
      expect(stopped).toHaveLength(1);
    });

    it('misses nothing when subscribers join and reconnect while events are appended', async () => {
      const a = `call-a-${randomUUID()}`;
      const b = `call-b-${randomUUID()}`;
      const appended: StoredCallEvent[] = [];
      const total = 300;
      // A head start so the subscriptions below begin with a real history to read.
      for (let n = 0; n < 60; n++)
        appended.push(await stream.append(segment(n % 2 === 0 ? a : b, n)));
      const appender = (async () => {
        for (let n = 60; n < total; n++) {
          appended.push(await stream.append(segment(n % 2 === 0 ? a : b, n)));
          if (n % 3 === 0) await tick();
        }
      })();

      // A reader that drops its connection every 40 events and reconnects with its last id.
      const reconnecting: StoredCallEvent[] = [];
      let stopCurrent: (() => void) | undefined;
      let lastId: string | undefined;
      let connections = 0;
      const connect = (): void => {
        connections++;
        let seenThisConnection = 0;
        stopCurrent = stream.subscribe({ afterId: lastId }, (event) => {
          reconnecting.push(event);
          lastId = event.id;
          if (++seenThisConnection === 40) {
            stopCurrent?.();
            setImmediate(connect);
          }
        });
      };
      connect();
      unsubscribers.push(() => stopCurrent?.());

      const joinedLate: StoredCallEvent[] = [];
      const perCallA: StoredCallEvent[] = [];
      await tick();
      await tick();
      subscribe({}, joinedLate);
      subscribe({ callId: a }, perCallA);

      await appender;
      await waitFor(
        () =>
          reconnecting.length >= total &&
          joinedLate.length >= total &&
          perCallA.length >= total / 2,
        'all events on every subscriber',
      );
      await tick();
      expect(connections).toBeGreaterThan(5);
      expect(ids(reconnecting)).toEqual(ids(appended));
      expect(ids(joinedLate)).toEqual(ids(appended));
      expect(ids(perCallA)).toEqual(ids(appended.filter((e) => e.event.CallId === a)));
    });

    describe('stored in groups', () => {
      const extra: CallEventStreamUnderTest[] = [];
      afterEach(async () => {
        for (const other of extra.splice(0)) {
          await other.stream.close();
          await other.cleanup();
        }
      });
      /** A stream of its own whose groups close at `commitMaxEvents` (the interval is long). */
      const grouped = async (commitMaxEvents: number, commitIntervalMs = 600_000) => {
        const other = await make({ ttlMs: TTL_MS, now, commitIntervalMs, commitMaxEvents });
        extra.push(other);
        return other;
      };
      const settled = <T>(promise: Promise<T>) => {
        const state = { done: false };
        promise.then(
          () => (state.done = true),
          () => (state.done = true),
        );
        return state;
      };

      it('keeps the order appends were made in, across group boundaries, for readers and subscribers', async () => {
        const { stream: batched } = await grouped(4, 15);
        const calls = [
          `call-a-${randomUUID()}`,
          `call-b-${randomUUID()}`,
          `call-c-${randomUUID()}`,
        ];
        const live: StoredCallEvent[] = [];
        const perCall: StoredCallEvent[] = [];
        unsubscribers.push(batched.subscribe({}, (e) => live.push(e)));
        unsubscribers.push(batched.subscribe({ callId: calls[1] }, (e) => perCall.push(e)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        // 15 appends made at once (4 groups by size), then 7 more in a later group (by time).
        const made: Promise<StoredCallEvent>[] = [];
        for (let n = 0; n < 15; n++) made.push(batched.append(segment(calls[n % 3] ?? '', n)));
        const first = await Promise.all(made);
        const second = await Promise.all(
          Array.from({ length: 7 }, (_, i) => batched.append(segment(calls[i % 3] ?? '', 15 + i))),
        );
        const stored = [...first, ...second];
        expect(segmentIds(stored)).toEqual(stored.map((_, n) => `seg-${n}`));
        const numeric = stored.map((e) => Number(e.id));
        expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
        expect(new Set(numeric).size).toBe(stored.length);
        expect(await batched.read({})).toEqual(stored);
        expect(await batched.read({ callId: calls[1] })).toEqual(
          stored.filter((e) => e.event.CallId === calls[1]),
        );
        await waitFor(() => live.length === stored.length && perCall.length === 7, 'live events');
        expect(ids(live)).toEqual(ids(stored));
        expect(ids(perCall)).toEqual(ids(stored.filter((e) => e.event.CallId === calls[1])));
      });

      it('acknowledges and publishes an append only once its group is stored', async () => {
        const { stream: batched } = await grouped(3);
        const callId = `call-${randomUUID()}`;
        const live: StoredCallEvent[] = [];
        unsubscribers.push(batched.subscribe({}, (e) => live.push(e)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const first = batched.append(segment(callId, 0));
        const second = batched.append(segment(callId, 1));
        const states = [settled(first), settled(second)];
        await new Promise((resolve) => setTimeout(resolve, 200));
        // The group is not full: nothing acknowledged, nothing readable, nothing published.
        expect(states.map((s) => s.done)).toEqual([false, false]);
        expect(await batched.read({})).toEqual([]);
        expect(live).toEqual([]);
        // Whoever is told "stored" can read it at once.
        const readOnAck = first.then(() => batched.read({ callId }));
        const third = await batched.append(segment(callId, 2));
        const stored = [await first, await second, third];
        expect(await readOnAck).toEqual(stored);
        await waitFor(() => live.length === 3, 'the group on the subscriber');
        expect(live).toEqual(stored);
      });

      it('rejects every append of a failed group as retryable, stores none of it, and stores later groups', async (ctx) => {
        const subjectWithFaults = await grouped(3);
        const { stream: batched, failWrites } = subjectWithFaults;
        if (failWrites === undefined) {
          ctx.skip();
          return;
        }
        const callId = `call-${randomUUID()}`;
        const live: StoredCallEvent[] = [];
        unsubscribers.push(batched.subscribe({}, (e) => live.push(e)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const before = [batched.append(segment(callId, 0)), batched.append(segment(callId, 1))];
        before.push(batched.append(segment(callId, 2)));
        const kept = await Promise.all(before);

        const repair = await failWrites();
        const failed = await Promise.allSettled(
          [3, 4, 5].map((n) => batched.append(segment(callId, n))),
        );
        for (const outcome of failed) {
          expect(outcome.status).toBe('rejected');
          const error = (outcome as PromiseRejectedResult).reason as AppError;
          expect(error).toBeInstanceOf(AppError);
          expect(error).toMatchObject({ code: 'EVENT_STREAM_UNAVAILABLE', retryable: true });
        }
        await repair();

        // Retried in order, as the call's publisher does: stored after what was kept.
        const retried = await Promise.all([3, 4, 5].map((n) => batched.append(segment(callId, n))));
        const stored = [...kept, ...retried];
        expect(await batched.read({ callId })).toEqual(stored);
        expect(segmentIds(stored)).toEqual(['seg-0', 'seg-1', 'seg-2', 'seg-3', 'seg-4', 'seg-5']);
        expect(Number(retried[0]?.id)).toBeGreaterThan(Number(kept[2]?.id));
        await waitFor(() => live.length === 6, 'the stored groups on the subscriber');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(live).toEqual(stored);
      });
    });

    it('expires a call’s events together, ttlMs after the call’s last event', async () => {
      const a = `call-a-${randomUUID()}`;
      const b = `call-b-${randomUUID()}`;
      const a0 = await stream.append(segment(a, 0));
      await stream.append(segment(b, 1));
      clockMs += TTL_MS / 2;
      const a2 = await stream.append(segment(a, 2));
      expect(await subject.sweepExpired?.()).toBeOneOf([undefined, 0]);

      clockMs += TTL_MS / 2 + 1000;
      // B's only event is past its expiry; A was written to later, so all of A stays, even its first event.
      expect(await stream.read({})).toEqual([a0, a2]);
      expect(await stream.read({ callId: b })).toEqual([]);
      const subscribed: StoredCallEvent[] = [];
      subscribe({}, subscribed);
      await waitFor(() => subscribed.length === 2, 'unexpired history');
      expect(subscribed).toEqual([a0, a2]);
      expect(await subject.sweepExpired?.()).toBeOneOf([undefined, 1]);

      clockMs += TTL_MS;
      expect(await stream.read({})).toEqual([]);
      expect(await subject.sweepExpired?.()).toBeOneOf([undefined, 2]);
      // Ids keep increasing after old events are gone, so clients' Last-Event-IDs stay meaningful.
      const next = await stream.append(segment(a, 3));
      expect(Number(next.id)).toBeGreaterThan(Number(a2.id));
    });
  });
}
