import type * as perfHooks from 'node:perf_hooks';
import { createHistogram, performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLoopMonitor } from '../../src/observability/event-loop-monitor.js';

vi.mock('node:perf_hooks', async (importOriginal) => {
  const real = await importOriginal<typeof perfHooks>();
  return { ...real, createHistogram: vi.fn(real.createHistogram) };
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the loop is stuck
  }
}

describe('EventLoopMonitor', () => {
  let monitor: EventLoopMonitor | undefined;
  afterEach(() => monitor?.close());

  it('reads a stuck loop even when the reading runs before the late tick could', async () => {
    monitor = new EventLoopMonitor();
    const reader = monitor.reader();
    await sleep(50);
    reader.take();
    busy(200);
    // Same callback as the block: no timer could run since, the overdue tick still counts.
    const window = reader.take();
    expect(window.maxMs).toBeGreaterThanOrEqual(180);
    expect(window.p99Ms).toBeGreaterThanOrEqual(180);
  });

  it('never reads 0 while saturated by back-to-back work, where a setImmediate probe does', async () => {
    monitor = new EventLoopMonitor();
    const reader = monitor.reader();
    let probeMs = Number.NaN;
    await new Promise<void>((resolve) => {
      const started = performance.now();
      const chunk = (): void => {
        busy(20);
        if (performance.now() - started < 600) return void setImmediate(chunk);
        // What a one-off setImmediate probe would measure from here: almost nothing.
        const probeStart = performance.now();
        setImmediate(() => {
          probeMs = performance.now() - probeStart;
          resolve();
        });
      };
      setImmediate(chunk);
    });
    const window = reader.take();
    expect(probeMs).toBeLessThan(5);
    expect(window.p99Ms).toBeGreaterThanOrEqual(10);
    expect(window.utilization).toBeGreaterThan(0.8);
  });

  it('starts a new window at every take: a quiet window after a stall reads quiet', async () => {
    monitor = new EventLoopMonitor();
    const reader = monitor.reader();
    busy(150);
    await sleep(30);
    expect(reader.take().maxMs).toBeGreaterThanOrEqual(100);
    await sleep(300);
    const quiet = reader.take();
    expect(quiet.maxMs).toBeLessThan(100);
    expect(quiet.utilization).toBeLessThan(0.5);
  });

  it('a rolling reader keeps a single stall below p99 over its span, a sustained one not', async () => {
    monitor = new EventLoopMonitor({ resolutionMs: 5 });
    const rolling = monitor.reader({ spanTakes: 3 });
    for (let i = 0; i < 3; i++) {
      if (i === 1) busy(120);
      await sleep(400);
      rolling.take();
    }
    // Some 200 ticks in the span, one of them 120 ms late.
    const window = rolling.take();
    expect(window.maxMs).toBeGreaterThanOrEqual(100);
    expect(window.p99Ms).toBeLessThan(100);

    rolling.reset();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        busy(60);
        await new Promise((resolve) => setImmediate(resolve));
      }
      rolling.take();
    }
    expect(rolling.take().p99Ms).toBeGreaterThanOrEqual(40);
  });
});

describe('EventLoopMonitor histograms', () => {
  it('reuses its histograms: taking windows for ever allocates no new native histograms', async () => {
    const created = vi.mocked(createHistogram);
    const monitor = new EventLoopMonitor({ resolutionMs: 1 });
    try {
      const rolling = monitor.reader({ spanTakes: 3 });
      const single = monitor.reader();
      for (let i = 0; i < 5; i++) {
        rolling.take();
        single.take();
        await sleep(5);
      }
      const afterWarmUp = created.mock.calls.length;
      for (let i = 0; i < 50; i++) {
        const window = rolling.take();
        single.take();
        if (i % 10 === 0) rolling.reset();
        expect(window.windowMs).toBeGreaterThanOrEqual(0);
        await sleep(2);
      }
      // Each histogram holds a few hundred KiB of memory V8 does not count, freed only at a
      // full GC: one per take grew RSS by megabytes a minute.
      expect(created.mock.calls.length).toBe(afterWarmUp);
    } finally {
      monitor.close();
    }
  });
});
