import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallHistoryRetry } from '../../src/adapters/redis/call-history-retry.js';
import { captureLog } from '../support/capture-log.js';

describe('CallHistoryRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes held events again with back-off until the store takes them, in the order held', async () => {
    vi.useFakeTimers();
    const attempts: { callId: string; at: number; events: readonly string[] }[] = [];
    let failuresLeft = 2;
    const retry = new CallHistoryRetry({
      store: async (callId, events) => {
        attempts.push({ callId, at: Date.now(), events: [...events] });
        if (failuresLeft-- > 0) throw new Error('shard down');
      },
      log: captureLog().log,
      initialDelayMs: 100,
      maxDelayMs: 1000,
    });
    const start = Date.now();
    retry.hold('call-1', ['1', '{"a":1}']);
    retry.hold('call-1', ['2', '{"a":2}']);
    expect(retry.heldEvents).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200);
    await vi.advanceTimersByTimeAsync(400);
    expect(attempts.map((a) => a.at - start)).toEqual([100, 300, 700]);
    expect(attempts.at(-1)?.events).toEqual(['1', '{"a":1}', '2', '{"a":2}']);
    expect(retry.heldEvents).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempts).toHaveLength(3);
    await retry.close();
  });

  it('keeps what is held during a write for the next round, and no more than its cap', async () => {
    vi.useFakeTimers();
    const written: string[] = [];
    let release: (() => void) | undefined;
    const captured = captureLog();
    const retry = new CallHistoryRetry({
      store: async (_callId, events) => {
        if (release === undefined) await new Promise<void>((resolve) => (release = resolve));
        written.push(...events.filter((_, i) => i % 2 === 0));
      },
      log: captured.log,
      initialDelayMs: 10,
      maxHeldEvents: 3,
    });
    retry.hold('call-1', ['1', 'e1', '2', 'e2']);
    await vi.advanceTimersByTimeAsync(10);
    // While the first write is in flight, another event of the call is held...
    retry.hold('call-1', ['3', 'e3']);
    // ...and one more would pass the cap: it is logged, not kept.
    retry.hold('call-2', ['4', 'e4']);
    expect(captured.messages()).toContainEqual(expect.stringContaining('too many held'));
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual(['1', '2']);
    expect(retry.heldEvents).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(written).toEqual(['1', '2', '3']);
    expect(retry.heldEvents).toBe(0);
    await retry.close();
  });

  it('stops at close and says how many events it still held', async () => {
    vi.useFakeTimers();
    const captured = captureLog();
    const store = vi.fn(async () => {
      throw new Error('shard down');
    });
    const retry = new CallHistoryRetry({ store, log: captured.log, initialDelayMs: 10 });
    retry.hold('call-1', ['1', 'e1']);
    await vi.advanceTimersByTimeAsync(10);
    await retry.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store).toHaveBeenCalledTimes(1);
    expect(captured.lines.at(-1)).toMatchObject({ events: 1, calls: 1 });
    retry.hold('call-2', ['2', 'e2']);
    expect(retry.heldEvents).toBe(1);
  });
});
