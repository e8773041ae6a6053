import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LoopWindow } from './event-loop-monitor.js';
import { createTlsMetrics } from './tls-metrics.js';

export interface MetricsOptions {
  /** Read at scrape time, so the gauge never drifts from the live calls. */
  callCounts?: () => Record<string, number>;
  /**
   * Each watched thread's event loop since the previous scrape (main, media workers): the lag
   * gauges cover exactly one scrape interval, so a saturated interval cannot hide in a long average.
   */
  loopWindows?: () => Promise<{ thread: string; window: LoopWindow }[]>;
  /** Media sessions (RTP port sets) open now. */
  mediaSessions?: () => number;
}

/** One registry per server instance (no global state), exposed at GET /metrics. */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callscribe_' });
  const loop = createLoopMetrics(registry, options.loopWindows);
  return {
    registry,
    ...loop,
    controlEvents: new Counter({
      name: 'callscribe_control_events_total',
      help: 'Control events by type and outcome status',
      labelNames: ['type', 'status', 'code'] as const,
      registers: [registry],
    }),
    calls: new Gauge({
      name: 'callscribe_calls',
      help: 'Calls held by this node, by state',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        if (!options.callCounts) return;
        for (const [state, count] of Object.entries(options.callCounts()))
          this.set({ state }, count);
      },
    }),
    mediaSessions: new Gauge({
      name: 'callscribe_media_sessions',
      help: 'Media sessions open (each holds an RTP/RTCP port pair per stream)',
      registers: [registry],
      collect() {
        if (options.mediaSessions) this.set(options.mediaSessions());
      },
    }),
    hookInvocations: new Counter({
      name: 'callscribe_hook_invocations_total',
      help: 'Call-initialization hook invocations by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    sipRequests: new Counter({
      name: 'callscribe_sip_requests_total',
      help: 'SIP requests by method and response status',
      labelNames: ['method', 'status'] as const,
      registers: [registry],
    }),
    sipDropped: new Counter({
      name: 'callscribe_sip_dropped_total',
      help: 'SIP messages dropped unanswered, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    sipLenient: new Counter({
      name: 'callscribe_sip_lenient_total',
      help: 'SIP requests from an SRC accepted although they break an RFC 3261 rule, by rule',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    rtpPackets: new Counter({
      name: 'callscribe_rtp_packets_total',
      help: 'RTP datagrams received on call ports, every one (parked, processed or dropped)',
      registers: [registry],
    }),
    rtpDropped: new Counter({
      name: 'callscribe_rtp_dropped_total',
      help: 'RTP packets dropped, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    engineGaps: new Counter({
      name: 'callscribe_engine_gaps_total',
      help: 'Engine stream failures that caused a gap in transcription',
      labelNames: ['engine'] as const,
      registers: [registry],
    }),
    engineFailovers: new Counter({
      name: 'callscribe_engine_failover_total',
      help: 'Calls whose transcription moved to the fallback engine, by engines and reason',
      labelNames: ['from', 'to', 'reason'] as const,
      registers: [registry],
    }),
    callsRecovered: new Counter({
      name: 'callscribe_calls_recovered_total',
      help: 'Calls ended because their media was lost (node-restart, owner-lost), by end reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    recordingFailures: new Counter({
      name: 'callscribe_recording_failures_total',
      help: 'Recordings stopped because their file could not be written, by error code (ENOSPC, EACCES, ...)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    admissionRefused: new Counter({
      name: 'callscribe_admission_refused_total',
      help: 'New INVITEs answered 503 because a limit was passed, by limit (calls, lag, cpu)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    lateAnswers: new Counter({
      name: 'callscribe_sip_late_setups_total',
      help: "INVITEs whose set-up outlived the SBC's INVITE transaction (64×T1): answered 503 instead of 200, the call cancelled",
      registers: [registry],
    }),
    segmentLatencyMs: new Histogram({
      name: 'callscribe_final_segment_latency_ms',
      help: 'End of speech to final segment, ms',
      buckets: [50, 100, 200, 400, 800, 1600, 3200],
      registers: [registry],
    }),
    ...createTlsMetrics(registry),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Event-loop lag and utilisation per thread, each over the interval since the last scrape. */
function createLoopMetrics(registry: Registry, loopWindows: MetricsOptions['loopWindows']) {
  let scraped: Promise<{ thread: string; window: LoopWindow }[]> | undefined;
  // The four gauges are collected one after another in one scrape: they share one read.
  const windows = (): Promise<{ thread: string; window: LoopWindow }[]> => {
    if (loopWindows === undefined) return Promise.resolve([]);
    scraped ??= loopWindows().finally(() => setImmediate(() => (scraped = undefined)));
    return scraped;
  };
  const gauge = (name: string, help: string, pick: (w: LoopWindow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['thread'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const { thread, window } of await windows()) this.set({ thread }, pick(window));
      },
    });
  return {
    loopLagP99: gauge(
      'callscribe_event_loop_lag_p99_seconds',
      'Event-loop lag p99 per thread (main, media-N) since the previous scrape',
      (w) => w.p99Ms / 1000,
    ),
    loopLagMax: gauge(
      'callscribe_event_loop_lag_max_seconds',
      'Longest event-loop lag per thread since the previous scrape',
      (w) => w.maxMs / 1000,
    ),
    loopUtilization: gauge(
      'callscribe_event_loop_utilization',
      'Share of the interval since the previous scrape each thread spent running callbacks (1 = saturated)',
      (w) => w.utilization,
    ),
  };
}
