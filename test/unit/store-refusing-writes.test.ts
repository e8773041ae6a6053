import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { buildAppHarness, functionHook, newSession } from '../support/app-harness.js';
import { answeredSession } from '../support/answered-session.js';

/**
 * The application while the store refuses writes with a retryable error (what a full disk
 * looks like through the ports): nothing is acknowledged that was not stored, live calls keep
 * their state and retry, and shutdown does not hang on a store that never comes back.
 */
type Harness = Awaited<ReturnType<typeof buildAppHarness>>;
let h: Harness;
afterEach(async () => h?.close());

const full = () => new AppError('STORE_UNAVAILABLE', 'disk full', { retryable: true });
const park = functionHook(async () => ({ shouldProcessCall: false }));

/** Makes every write of the store and the event stream fail until `restore()`. */
function refuseWrites(harness: Harness) {
  const { store, eventStream } = harness;
  const { compareAndSet, putControlOutcome } = store;
  const { append } = eventStream;
  store.compareAndSet = async () => Promise.reject(full());
  store.putControlOutcome = async () => Promise.reject(full());
  eventStream.append = async () =>
    Promise.reject(new AppError('EVENT_STREAM_UNAVAILABLE', 'disk full', { retryable: true }));
  return () => {
    Object.assign(store, { compareAndSet, putControlOutcome });
    Object.assign(eventStream, { append });
  };
}

describe('a store that refuses writes', () => {
  it('a control event whose outcome cannot be stored is refused, retryable, and not applied later', async () => {
    h = await buildAppHarness({ hook: park, pendingEventTtlMs: 200 });
    const restore = refuseWrites(h);
    // An unknown call: the event would be held, but its pending outcome cannot be stored.
    const held = h.router.submit(
      { type: 'START_CALL_PROCESSING', detail: { callId: 'call-8' }, ingress: 'putevents' },
      { holdIfUnknown: true },
    );
    await expect(held).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    restore();
    const decision = await answeredSession(h.service, newSession());
    expect(decision.accepted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The refused START was not held: the call stays parked.
    expect((await h.store.get('call-8'))?.call.state).toBe('PENDING');

    refuseWrites(h);
    await expect(
      h.router.submit(
        { type: 'START_CALL_PROCESSING', detail: { callId: 'call-8' }, ingress: 'rest' },
        { holdIfUnknown: false },
      ),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    restore();
  });

  it('a live call keeps its events in memory and writes them, in order, once the store is back', async () => {
    h = await buildAppHarness();
    const decision = await answeredSession(h.service, newSession());
    if (!decision.accepted) throw new Error('refused');
    const restore = refuseWrites(h);
    const ended = decision.handle.end('bye');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.liveCalls.get('call-8')).toBeDefined();
    restore();
    await ended;
    const types = (await h.eventStream.read({ callId: 'call-8' })).map((e) => e.event.EventType);
    expect(types).toEqual(['START', 'CALL_STATE', 'CALL_STATE', 'END']);
    expect((await h.store.get('call-8'))?.call).toMatchObject({ state: 'ENDED', endReason: 'bye' });
    expect(h.captured.messages()).toContain('call end could not be stored: retrying');
  });

  it('shutdown gives up after its grace, leaving the calls to the next start', async () => {
    h = await buildAppHarness({ shutdownGraceMs: 300 });
    const decision = await answeredSession(h.service, newSession());
    if (!decision.accepted) throw new Error('refused');
    const restore = refuseWrites(h);
    const since = Date.now();
    await h.service.endAll('shutdown');
    expect(Date.now() - since).toBeLessThan(3000);
    expect(h.captured.messages()).toContain('call end could not be stored');
    restore();
    // Still live in the store: the next start ends it as node-restart.
    expect((await h.store.get('call-8'))?.call.state).toBe('PROCESSING');
    h.recovery.close();
    expect((await h.recovery.recoverAtStart()).ended).toBe(1);
    expect((await h.store.get('call-8'))?.call.endReason).toBe('node-restart');
  });
});
