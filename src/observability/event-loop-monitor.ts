import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/** One thread's event loop over a window: how late its timers ran, and how busy it was. */
export interface LoopWindow {
  /** 99th percentile of timer lateness, ms. */
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Share of the window the loop spent running callbacks (0–1): saturation reads 1. */
  utilization: number;
  /** Length of the window, ms. */
  windowMs: number;
}

/** A consumer of windows (the metrics scrape, the admission sampler) has its own. */
export interface LoopWindowReader {
  /** The window up to now; starts the next one. */
  take(): LoopWindow;
  /** Forgets every interval so far: the next window starts now. */
  reset(): void;
}

const DEFAULT_RESOLUTION_MS = 10;

interface Part {
  histogram: RecordableHistogram;
  busyMs: number;
  windowMs: number;
}

/**
 * Measures the event loop of the thread it runs on: a timer asks to run every `resolutionMs`
 * and records how late it ran. Unlike a one-off setImmediate probe (which runs right after the
 * poll phase that read the scrape request, so it reads about 0 however saturated the loop is),
 * every late tick lands in a histogram, and a reader also counts the tick still overdue when it
 * reads: a window can never read 0 while the loop is stuck. Works the same in worker threads.
 */
export class EventLoopMonitor {
  readonly #resolutionMs: number;
  readonly #histograms = new Set<RecordableHistogram>();
  #timer: NodeJS.Timeout | undefined;
  #expectedAtMs = 0;

  constructor(options: { resolutionMs?: number } = {}) {
    this.#resolutionMs = options.resolutionMs ?? DEFAULT_RESOLUTION_MS;
    this.#schedule();
  }

  /**
   * A reader whose windows run from one `take()` to the next (`spanTakes` 1), or cover the last
   * `spanTakes` intervals between takes: a rolling window, so one stall among hundreds of ticks
   * stays below p99 while a saturated loop, late on every tick, does not.
   */
  reader(options: { spanTakes?: number } = {}): LoopWindowReader {
    const span = Math.max(1, options.spanTakes ?? 1);
    // Histograms are reused, never made per take: each holds a few hundred KiB of native
    // memory that V8 does not see, so it is freed only at the next full GC, which a steady heap
    // rarely runs; one new histogram per second grew RSS by megabytes a minute.
    const spare: RecordableHistogram[] = [];
    const merged = span > 1 ? createHistogram() : undefined;
    let current = this.#histogram(spare);
    const done: Part[] = [];
    let startedMs = performance.now();
    let elu = performance.eventLoopUtilization();
    const retire = (histogram: RecordableHistogram): void => {
      this.#histograms.delete(histogram);
      histogram.reset();
      spare.push(histogram);
    };
    return {
      take: () => {
        const nowMs = performance.now();
        const next = performance.eventLoopUtilization();
        const used = performance.eventLoopUtilization(next, elu);
        done.push({ histogram: current, busyMs: used.active, windowMs: nowMs - startedMs });
        while (done.length > span) retire(done.shift()!.histogram);
        current = this.#histogram(spare);
        startedMs = nowMs;
        elu = next;
        return summarize(done, Math.max(0, nowMs - this.#expectedAtMs), merged);
      },
      reset: () => {
        for (const part of done.splice(0)) retire(part.histogram);
        current.reset();
        startedMs = performance.now();
        elu = performance.eventLoopUtilization();
      },
    };
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#histograms.clear();
  }

  #histogram(spare: RecordableHistogram[]): RecordableHistogram {
    const histogram = spare.pop() ?? createHistogram();
    this.#histograms.add(histogram);
    return histogram;
  }

  #schedule(): void {
    this.#expectedAtMs = performance.now() + this.#resolutionMs;
    this.#timer = setTimeout(() => this.#tick(), this.#resolutionMs);
    this.#timer.unref();
  }

  #tick(): void {
    const lateMs = performance.now() - this.#expectedAtMs;
    // Histograms take integers ≥ 1: microseconds, an on-time tick as 1 µs.
    const lateMicros = Math.max(1, Math.round(lateMs * 1000));
    for (const histogram of this.#histograms) histogram.record(lateMicros);
    this.#schedule();
  }
}

function summarize(
  parts: Part[],
  overdueMs: number,
  merged: RecordableHistogram | undefined,
): LoopWindow {
  let histogram = parts[0]!.histogram;
  if (parts.length > 1 && merged) {
    merged.reset();
    for (const part of parts) merged.add(part.histogram);
    histogram = merged;
  }
  const empty = histogram.count === 0;
  const windowMs = parts.reduce((sum, p) => sum + p.windowMs, 0);
  const busyMs = parts.reduce((sum, p) => sum + p.busyMs, 0);
  return {
    // The tick still waiting is lateness too: it would land in the next window otherwise.
    p99Ms: Math.max(empty ? 0 : histogram.percentile(99) / 1000, overdueMs),
    maxMs: Math.max(empty ? 0 : histogram.max / 1000, overdueMs),
    meanMs: empty ? 0 : histogram.mean / 1000,
    utilization: windowMs > 0 ? Math.min(1, busyMs / windowMs) : 0,
    windowMs,
  };
}
