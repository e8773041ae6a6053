/** How loaded this node is right now, over the last few seconds. */
export interface LoadReading {
  /** Worst event-loop lag p99 of any thread that carries calls (main, media workers), ms. */
  lagP99Ms: number;
  /** The process's CPU, all threads, as a percentage of the cores it may use. */
  cpuPercent: number;
  /** Lag p99 per thread, ms, for health reports. */
  lagByThreadMs: Record<string, number>;
}

export interface LoadGauge {
  reading(): LoadReading;
}
