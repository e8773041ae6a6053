import type { CounterSink, HistogramSink } from '../../observability/metric-sinks.js';
import type { MetricDeltas } from './media-worker-protocol.js';

/**
 * Metrics counted in a media worker, kept as deltas until the next report to the main thread,
 * whose Prometheus registry applies them. Counters are summed per label set, so a report is
 * small whatever the packet rate.
 */
export class ForwardedMetrics {
  readonly #counters = new Map<
    string,
    { name: string; labels: Record<string, string | number>; value: number }
  >();
  readonly #observations = new Map<string, number[]>();

  counter<L extends string>(name: string): CounterSink<L> {
    return {
      inc: (labels, value = 1) => {
        const clean: Record<string, string | number> = {};
        for (const [k, v] of Object.entries(labels)) if (v !== undefined) clean[k] = v as string;
        const key = `${name}\u0000${JSON.stringify(clean)}`;
        const entry = this.#counters.get(key);
        if (entry) entry.value += value;
        else this.#counters.set(key, { name, labels: clean, value });
      },
    };
  }

  histogram(name: string): HistogramSink {
    return {
      observe: (value) => {
        const values = this.#observations.get(name);
        if (values) values.push(value);
        else this.#observations.set(name, [value]);
      },
    };
  }

  take(): MetricDeltas {
    const deltas: MetricDeltas = {
      counters: [...this.#counters.values()],
      observations: [...this.#observations].map(([name, values]) => ({ name, values })),
    };
    this.#counters.clear();
    this.#observations.clear();
    return deltas;
  }
}
