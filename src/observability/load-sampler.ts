import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { LoadGauge, LoadReading } from '../ports/load-gauge.js';
import type { LoopWindow } from './event-loop-monitor.js';

/** A thread whose loop is watched: the main thread, or a media worker reporting its windows. */
export interface WatchedThread {
  readonly name: string;
  /** The thread's loop over the last few seconds (a rolling window, not the scrape's). */
  take(): LoopWindow;
  reset(): void;
}

export interface LoadSamplerOptions {
  intervalMs?: number;
  /** CPU is the mean over this many samples, as lag is the p99 over as many intervals. */
  samples?: number;
  /** Cores the process may use; CPU percent is of all of them. */
  cores?: number;
}

const DEFAULT_INTERVAL_MS = 1000;
/** Three seconds: long enough that one stall or one busy second does not flip admission. */
export const LOAD_SAMPLES = 3;

/**
 * Samples the node's load once per interval: the event-loop lag of every watched thread (each
 * a rolling window over the last few intervals) and the process's CPU (all threads) as a share
 * of the cores, averaged over as many intervals.
 */
export class LoadSampler implements LoadGauge {
  readonly #threads: WatchedThread[] = [];
  readonly #cpuPercents: number[] = [];
  #lagByThreadMs: Record<string, number> = {};
  readonly #keep: number;
  readonly #cores: number;
  #cpu = process.cpuUsage();
  #atMs = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LoadSamplerOptions = {}) {
    this.#keep = Math.max(1, options.samples ?? LOAD_SAMPLES);
    this.#cores = Math.max(1, options.cores ?? availableParallelism());
    this.#timer = setInterval(() => this.sample(), options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.#timer.unref();
  }

  watch(thread: WatchedThread): void {
    this.#threads.push(thread);
  }

  unwatch(name: string): void {
    const index = this.#threads.findIndex((t) => t.name === name);
    if (index >= 0) this.#threads.splice(index, 1);
    delete this.#lagByThreadMs[name];
  }

  /**
   * Forgets what was sampled so far: the node's own start-up (module loading, native libraries)
   * blocks the loop, and must not make it refuse its first calls.
   */
  reset(): void {
    for (const thread of this.#threads) thread.reset();
    this.#cpuPercents.length = 0;
    this.#lagByThreadMs = {};
    this.#cpu = process.cpuUsage();
    this.#atMs = performance.now();
  }

  /** Takes a sample now (the timer does this every interval). */
  sample(): void {
    const nowMs = performance.now();
    const cpu = process.cpuUsage(this.#cpu);
    this.#cpu = process.cpuUsage();
    const wallMs = Math.max(1, nowMs - this.#atMs);
    this.#atMs = nowMs;
    const lagByThreadMs: Record<string, number> = {};
    for (const thread of this.#threads) lagByThreadMs[thread.name] = thread.take().p99Ms;
    this.#lagByThreadMs = lagByThreadMs;
    this.#cpuPercents.push(((cpu.user + cpu.system) / 1000 / wallMs / this.#cores) * 100);
    if (this.#cpuPercents.length > this.#keep) this.#cpuPercents.shift();
  }

  reading(): LoadReading {
    const lags = Object.values(this.#lagByThreadMs);
    const cpus = this.#cpuPercents;
    return {
      lagP99Ms: lags.length === 0 ? 0 : Math.max(...lags),
      cpuPercent: cpus.length === 0 ? 0 : cpus.reduce((sum, c) => sum + c, 0) / cpus.length,
      lagByThreadMs: { ...this.#lagByThreadMs },
    };
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
