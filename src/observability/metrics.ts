import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createTlsMetrics } from './tls-metrics.js';

/** One registry per server instance (no global state), exposed at GET /metrics. */
/** `callCounts` is read at scrape time, so the gauge never drifts from the live calls. */
export function createMetrics(options: { callCounts?: () => Record<string, number> } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callscribe_' });
  return {
    registry,
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
