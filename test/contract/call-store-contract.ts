import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startProcessing } from '../../src/domain/call-lifecycle.js';
import type { CallData, CallState } from '../../src/domain/call.js';
import type { ControlOutcome } from '../../src/domain/control-event.js';
import { AppError } from '../../src/domain/errors.js';
import type { CallStore } from '../../src/ports/call-store.js';

export interface CallStoreUnderTest {
  store: CallStore;
  /**
   * Makes the store's writes fail as a storage outage would (SQLite: another process holds the
   * write lock; Redis: the connection is cut) and returns what ends the outage. Absent where the
   * factory cannot do that; the failure case is then skipped, visibly.
   */
  failWrites?: () => Promise<() => Promise<void>>;
  /** Releases what the factory made (files, connections, key prefixes); the suite closes the store first. */
  cleanup(): Promise<void>;
}

/**
 * Makes an EMPTY store. `now` is the suite's clock: it starts at the real time and the suite
 * moves it forward to expire records, so an adapter must take the current time for its expiry
 * decisions from `now()` (a Redis adapter may still set real key TTLs from it as a backstop;
 * `ttlMs` is a minute, far longer than the suite runs).
 */
export type MakeCallStore = (options: {
  ttlMs: number;
  now: () => number;
}) => Promise<CallStoreUnderTest>;

const TTL_MS = 60_000;

export function sampleCall(overrides: Partial<CallData> = {}): CallData {
  const callId = overrides.callId ?? `call-${randomUUID()}`;
  return {
    callId,
    originalCallId: callId,
    state: 'PENDING',
    callStreamingStartTime: '2026-03-01T10:00:00.000Z',
    callProcessingStartTime: '',
    callStreamingEndTime: '',
    shouldProcessCall: false,
    shouldRecordCall: true,
    fromNumber: '+12065550100',
    toNumber: '+13605550199',
    agentId: null,
    metadatajson: '{"queue":"billing","priority":2}',
    languageCode: 'en-US',
    channelMapping: {
      callerStreamLabel: '1',
      agentStreamLabel: '2',
      rule: 'metadata-direction',
      swappedByHook: false,
    },
    startCallProcessingEvent: null,
    endReason: null,
    ownerNodeId: 'node-a',
    siprec: {
      dialect: 'rfc7865',
      participants: [
        {
          participantId: 'p1',
          aor: 'sip:+12065550100@sbc.example',
          name: 'Caller',
          sendLabels: ['1'],
        },
        { participantId: 'p2', aor: 'sip:agent7@pbx.example', name: null, sendLabels: ['2'] },
      ],
      extensions: { ucid: '00001234561700000000', 'apkt:callingParty': 'true' },
      userAgent: 'Oracle ESBC',
    },
    processedMsBeforePause: 0,
    ...overrides,
  };
}

function outcome(eventId: string, overrides: Partial<ControlOutcome> = {}): ControlOutcome {
  return {
    eventId,
    type: 'START_CALL_PROCESSING',
    status: 'pending',
    callId: null,
    requestedCallId: 'call-1',
    code: null,
    reason: 'callId not known yet',
    receivedAt: '2026-03-01T10:00:01.000Z',
    decidedAt: null,
    ...overrides,
  };
}

export function describeCallStoreContract(name: string, makeStore: MakeCallStore): void {
  describe(`CallStore contract: ${name}`, () => {
    let clockMs = 0;
    const now = (): number => clockMs;
    const advance = (ms: number): void => {
      clockMs += ms;
    };
    let subject: CallStoreUnderTest;
    let store: CallStore;

    beforeEach(async () => {
      clockMs = Date.now();
      subject = await makeStore({ ttlMs: TTL_MS, now });
      store = subject.store;
    });

    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    /** Moves a stored call to `state` through compare-and-set. */
    async function moveTo(callId: string, state: CallState): Promise<void> {
      const current = await store.get(callId);
      if (!current) throw new Error(`no call ${callId}`);
      const next = await store.compareAndSet(callId, current.version, { ...current.call, state });
      if (!next) throw new Error(`CAS failed for ${callId}`);
    }

    it('round-trips a full call record and its metadata', async () => {
      const call = sampleCall({
        agentId: 'agent7',
        startCallProcessingEvent: { callId: 'x', agentId: 'a' },
      });
      const created = await store.create(call);
      expect(created.call).toEqual(call);
      expect(created.createdAt).toBe(new Date(clockMs).toISOString());
      // LCA's ExpiresAfter: epoch seconds, at least ttlMs away, rounded to the second.
      expect(created.expiresAfter * 1000).toBeGreaterThanOrEqual(clockMs + TTL_MS);
      expect(created.expiresAfter * 1000).toBeLessThan(clockMs + TTL_MS + 1000);
      expect(Number.isInteger(created.expiresAfter)).toBe(true);

      const read = await store.get(call.callId);
      expect(read).toEqual(created);
      expect(await store.get(`other-${randomUUID()}`)).toBeUndefined();
    });

    it('keeps its own copy of the record', async () => {
      const call = sampleCall();
      await store.create(call);
      call.fromNumber = 'changed after create';
      const read = await store.get(call.callId);
      expect(read?.call.fromNumber).toBe('+12065550100');
    });

    it('maps the original (pre-hook) callId to the current one', async () => {
      const original = `orig-${randomUUID()}`;
      await store.create(sampleCall({ callId: `MODIFIED-${original}`, originalCallId: original }));
      const plain = sampleCall();
      await store.create(plain);

      expect(await store.resolveOriginalCallId(original)).toBe(`MODIFIED-${original}`);
      expect(await store.resolveOriginalCallId(plain.callId)).toBe(plain.callId);
      expect(await store.resolveOriginalCallId(`unknown-${randomUUID()}`)).toBeUndefined();
      // The renamed call is stored under its new id only.
      expect(await store.get(original)).toBeUndefined();
    });

    it('refuses to create a call whose callId is live', async () => {
      const call = sampleCall();
      const first = await store.create(call);
      const error = await store
        .create({ ...call, fromNumber: '+10000000000' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('CALL_ALREADY_EXISTS');
      expect(await store.get(call.callId)).toEqual(first);
    });

    it('may reuse the callId of an expired call, and the old version is then useless', async () => {
      const call = sampleCall();
      const old = await store.create(call);
      advance(TTL_MS + 1000);
      const reused = await store.create({ ...call, fromNumber: '+19995550000' });
      expect(reused.call.fromNumber).toBe('+19995550000');
      expect(reused.createdAt).toBe(new Date(clockMs).toISOString());
      // A writer still holding the expired record's version must not overwrite the new call.
      expect(
        await store.compareAndSet(call.callId, old.version, { ...call, state: 'ENDED' }),
      ).toBeUndefined();
      expect((await store.get(call.callId))?.call.state).toBe('PENDING');
    });

    it('compare-and-set writes with the current version and refuses a stale one', async () => {
      const call = sampleCall();
      const created = await store.create(call);
      advance(5000);
      const next = await store.compareAndSet(call.callId, created.version, {
        ...call,
        state: 'PROCESSING',
      });
      expect(next).toBeDefined();
      expect(next?.version).toBeGreaterThan(created.version);
      expect(next?.createdAt).toBe(created.createdAt);
      expect(next?.expiresAfter).toBeGreaterThan(created.expiresAfter);
      expect(await store.get(call.callId)).toEqual(next);

      const stale = await store.compareAndSet(call.callId, created.version, {
        ...call,
        state: 'ENDED',
      });
      expect(stale).toBeUndefined();
      expect((await store.get(call.callId))?.call.state).toBe('PROCESSING');
      expect(await store.compareAndSet(`unknown-${randomUUID()}`, 1, call)).toBeUndefined();
    });

    it('refreshes the expiry of the call and its mapping on every write', async () => {
      const original = `orig-${randomUUID()}`;
      const call = sampleCall({ callId: `MODIFIED-${original}`, originalCallId: original });
      const created = await store.create(call);
      advance(TTL_MS - 5000);
      const updated = await store.compareAndSet(call.callId, created.version, {
        ...call,
        agentId: 'agent9',
      });
      expect(updated).toBeDefined();
      advance(10_000); // past the original expiry, within the refreshed one
      expect((await store.get(call.callId))?.call.agentId).toBe('agent9');
      expect(await store.resolveOriginalCallId(original)).toBe(call.callId);
      expect((await store.list()).map((s) => s.call.callId)).toEqual([call.callId]);
    });

    it('treats an expired call as absent everywhere', async () => {
      const original = `orig-${randomUUID()}`;
      const call = sampleCall({ callId: `MODIFIED-${original}`, originalCallId: original });
      const created = await store.create(call);
      advance(TTL_MS - 1000);
      expect(await store.get(call.callId)).toBeDefined();
      advance(2000);
      expect(await store.get(call.callId)).toBeUndefined();
      expect(await store.resolveOriginalCallId(original)).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect(await store.list({ state: 'PENDING' })).toEqual([]);
      expect(
        await store.compareAndSet(call.callId, created.version, { ...call, state: 'ENDED' }),
      ).toBeUndefined();
    });

    it('sweeps expired records (each call is two items, cd# and cm#) and counts them', async () => {
      await store.create(sampleCall());
      await store.create(
        sampleCall({ callId: `MODIFIED-${randomUUID()}`, originalCallId: randomUUID() }),
      );
      await store.putControlOutcome(outcome(`evt-${randomUUID()}`));
      advance(30_000);
      const survivor = sampleCall();
      await store.create(survivor);
      expect(await store.sweepExpired()).toBe(0);

      advance(TTL_MS - 30_000 + 1000);
      expect(await store.sweepExpired()).toBe(5);
      expect(await store.sweepExpired()).toBe(0);
      expect((await store.get(survivor.callId))?.call).toEqual(survivor);
      expect(await store.resolveOriginalCallId(survivor.originalCallId)).toBe(survivor.callId);

      advance(TTL_MS);
      expect(await store.sweepExpired()).toBe(2);
    });

    it('lists newest first, filtered by state and limited', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const call = sampleCall({ callId: `list-${i}-${randomUUID()}` });
        await store.create(call);
        ids.push(call.callId);
        advance(1000);
      }
      const [c0, c1, c2, c3, c4] = ids as [string, string, string, string, string];
      await moveTo(c1, 'PROCESSING');
      await moveTo(c3, 'PROCESSING');
      await moveTo(c0, 'ENDED');
      // Updating an old call must not move it up: the order is by creation.
      advance(1000);
      await moveTo(c1, 'PAUSED');
      await moveTo(c1, 'PROCESSING');

      const all = await store.list();
      expect(all.map((s) => s.call.callId)).toEqual([c4, c3, c2, c1, c0]);
      expect(all.map((s) => s.call.state)).toEqual([
        'PENDING',
        'PROCESSING',
        'PENDING',
        'PROCESSING',
        'ENDED',
      ]);
      expect((await store.list({ state: 'PROCESSING' })).map((s) => s.call.callId)).toEqual([
        c3,
        c1,
      ]);
      expect((await store.list({ state: 'PENDING' })).map((s) => s.call.callId)).toEqual([c4, c2]);
      expect((await store.list({ state: 'PAUSED' })).map((s) => s.call.callId)).toEqual([]);
      expect((await store.list({ limit: 2 })).map((s) => s.call.callId)).toEqual([c4, c3]);
      expect(
        (await store.list({ state: 'PROCESSING', limit: 1 })).map((s) => s.call.callId),
      ).toEqual([c3]);
      expect(await store.list({ limit: 0 })).toEqual([]);
      // Listed records are whole records, as get returns them.
      expect(all[1]).toEqual(await store.get(c3));
    });

    it('stores, overwrites and expires control outcomes', async () => {
      const eventId = `evt-${randomUUID()}`;
      const pending = outcome(eventId);
      await store.putControlOutcome(pending);
      expect(await store.getControlOutcome(eventId)).toEqual(pending);
      expect(await store.getControlOutcome(`evt-${randomUUID()}`)).toBeUndefined();

      advance(TTL_MS - 1000);
      const applied = outcome(eventId, {
        status: 'applied',
        callId: 'call-1',
        reason: 'processing started',
        decidedAt: new Date(clockMs).toISOString(),
      });
      await store.putControlOutcome(applied);
      advance(2000);
      expect(await store.getControlOutcome(eventId)).toEqual(applied);
      advance(TTL_MS);
      expect(await store.getControlOutcome(eventId)).toBeUndefined();
    });

    describe('writes made at once (committed in groups where the store groups them)', () => {
      const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

      it('acknowledges each write only once it can be read, and keeps the order writes were made in, across groups', async () => {
        const calls = await Promise.all(
          Array.from({ length: 6 }, () => store.create(sampleCall())),
        );
        const acked = Array.from({ length: 20 }, () => `evt-${randomUUID()}`);
        const rewritten = Array.from({ length: 10 }, () => `evt-${randomUUID()}`);
        const decided = (id: string, status: ControlOutcome['status'], n: number) =>
          outcome(id, { status, reason: `write ${n}`, decidedAt: new Date(clockMs).toISOString() });

        // One event-loop turn: outcomes, each read back the moment it is acknowledged, two
        // writes of each of other outcomes, and a compare-and-set of several calls.
        const readsOnAck = acked.map((id) =>
          store.putControlOutcome(outcome(id)).then(() => store.getControlOutcome(id)),
        );
        const firstWrites = rewritten.flatMap((id) => [
          store.putControlOutcome(decided(id, 'pending', 1)),
          store.putControlOutcome(decided(id, 'applied', 2)),
        ]);
        const updates = calls.map((c) =>
          store.compareAndSet(c.call.callId, c.version, { ...c.call, state: 'PROCESSING' }),
        );
        // The next turn (a later group, possibly while the first is still being written).
        await turn();
        const laterWrites = rewritten.map((id) =>
          store.putControlOutcome(decided(id, 'rejected', 3)),
        );

        expect(await Promise.all(readsOnAck)).toEqual(acked.map((id) => outcome(id)));
        await Promise.all([...firstWrites, ...laterWrites]);
        for (const id of rewritten)
          expect(await store.getControlOutcome(id)).toEqual(decided(id, 'rejected', 3));
        const written = await Promise.all(updates);
        for (const [i, c] of calls.entries()) {
          expect(written[i]?.version).toBeGreaterThan(c.version);
          expect(await store.get(c.call.callId)).toEqual(written[i]);
        }
      });

      it('rejects every write of a failed group as retryable and stores none of it', async (ctx) => {
        if (subject.failWrites === undefined) {
          ctx.skip();
          return;
        }
        const created = await store.create(sampleCall());
        const ids = Array.from({ length: 3 }, () => `evt-${randomUUID()}`);
        const repair = await subject.failWrites();
        const results = await Promise.allSettled([
          ...ids.map((id) => store.putControlOutcome(outcome(id))),
          store.compareAndSet(created.call.callId, created.version, {
            ...created.call,
            state: 'PROCESSING',
          }),
        ]);
        await repair();
        for (const result of results) {
          expect(result.status).toBe('rejected');
          const error = (result as PromiseRejectedResult).reason as AppError;
          expect(error).toBeInstanceOf(AppError);
          expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
        }
        for (const id of ids) expect(await store.getControlOutcome(id)).toBeUndefined();
        expect(await store.get(created.call.callId)).toEqual(created);

        // Retried once the storage is back, they are stored.
        await Promise.all(ids.map((id) => store.putControlOutcome(outcome(id))));
        for (const id of ids) expect(await store.getControlOutcome(id)).toEqual(outcome(id));
        const retried = await store.compareAndSet(created.call.callId, created.version, {
          ...created.call,
          state: 'PROCESSING',
        });
        expect(retried?.call.state).toBe('PROCESSING');
      });
    });

    it('lets exactly one of 50 concurrent START attempts win', async () => {
      const call = sampleCall();
      await store.create(call);
      const attempt = async (i: number): Promise<'won' | 'lost' | 'noop'> => {
        const current = await store.get(call.callId);
        if (!current) throw new Error('call vanished');
        const decided = startProcessing(
          current.call,
          { callId: call.callId, agentId: `agent-${i}` },
          new Date(clockMs).toISOString(),
        );
        if (!decided.ok) throw decided.error;
        if (decided.value.outcome === 'already-processing') return 'noop';
        const written = await store.compareAndSet(call.callId, current.version, decided.value.call);
        return written ? 'won' : 'lost';
      };
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i)));
      expect(results.filter((r) => r === 'won')).toHaveLength(1);
      expect(results.filter((r) => r === 'won' || r === 'lost' || r === 'noop')).toHaveLength(50);

      const final = await store.get(call.callId);
      expect(final?.call.state).toBe('PROCESSING');
      const winner = results.indexOf('won');
      expect(final?.call.agentId).toBe(`agent-${winner}`);
    });
  });
}
