/**
 * The parts of a Prometheus counter and histogram that code recording a measurement uses. A
 * prom-client metric is one; a media worker, which has no registry of its own, hands in one
 * that forwards to the main thread's.
 */
export interface CounterSink<L extends string> {
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}

export interface HistogramSink {
  observe(value: number): void;
}
