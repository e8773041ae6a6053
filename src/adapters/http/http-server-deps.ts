import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CallEventStream } from '../../ports/call-event-stream.js';
import type { CallStore } from '../../ports/call-store.js';
import type { ControlEvents } from '../../ports/control-events.js';
import type { HealthSource } from '../../ports/health.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import type { NodeLoad } from './routes/health.js';

export interface RecordingLookup {
  pathFor(callId: string): Promise<string | undefined>;
}

export interface HttpServerDeps {
  config: Readonly<Config>;
  log: Logger;
  controlEvents: ControlEvents;
  callStore: CallStore;
  eventStream: CallEventStream;
  metrics: Metrics;
  recordings: RecordingLookup;
  /** Web UI build directory, served at / when present and `webUi` is on. */
  staticDir?: string;
  /** This node's id for /healthz; defaults to `config.nodeId`, then the host name. */
  nodeId?: string;
  /** Serve HTTPS with this certificate; the caller reloads it with `server.setSecureContext`. */
  tls?: TlsMaterial;
  /** What `/healthz` checks: storage that must take writes. */
  health?: readonly HealthSource[];
  /** The node's load and whether it takes new calls, for /healthz. */
  load?: () => NodeLoad;
  /** Injected clock for SigV4 skew checks and uptime. */
  now?: () => number;
}
