/** Messages between the control-events driver and its server and generator processes (fork IPC). */

/** One measured stretch of load, run by the generator. */
export interface PhaseSpec {
  name: string;
  /** Which pre-signed pool: START_CALL_PROCESSING per call, or UPDATE_AGENT (alternating agents). */
  pool: 'start' | 'update-agent';
  /** For `start`: the calls to send, each once (`once`/`paced`) or round-robin (`cycle`). */
  callIds?: string[];
  mode: 'once' | 'cycle' | 'paced';
  /** `once` and `cycle`: requests in flight. */
  concurrency?: number;
  /** `cycle`: how long to keep sending. */
  seconds?: number;
  /** `paced`: open-loop request rate. */
  ratePerSecond?: number;
}

export interface PhaseResult {
  name: string;
  completed: number;
  /** Responses that were not HTTP 200 with FailedEntryCount 0, or transport errors. */
  failed: number;
  firstFailure: string | null;
  elapsedMs: number;
  /** HTTP round trip of each completed request, in ms. */
  responseMs: number[];
  /** `start` pool, `once`/`paced`: epoch ms at which each call's request was handed to node:http. */
  sentAtMs: Record<string, number>;
  cpuUserUs: number;
  cpuSystemUs: number;
}

export type ServerCommand =
  | { type: 'park'; callIds: string[] }
  | { type: 'cpu' }
  | { type: 'starts' }
  | { type: 'clock' }
  | { type: 'stop' };

export type ServerReply =
  | { type: 'ready'; httpPort: number }
  | { type: 'parked'; count: number; elapsedMs: number }
  | { type: 'cpu'; userUs: number; systemUs: number }
  /** Epoch ms at which each call's START event reached an event-stream subscriber. */
  | { type: 'starts'; atMs: Record<string, number> }
  | { type: 'clock'; atMs: number }
  | { type: 'failed'; message: string };

export interface PrepareCommand {
  type: 'prepare';
  httpPort: number;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  startCallIds: string[];
  updateAgentCallIds: string[];
  maxSockets: number;
}

export type GeneratorCommand =
  PrepareCommand | { type: 'run'; phase: PhaseSpec } | { type: 'clock' } | { type: 'stop' };

export type GeneratorReply =
  | { type: 'ready' }
  | { type: 'prepared'; requests: number; elapsedMs: number }
  | { type: 'result'; result: PhaseResult }
  | { type: 'clock'; atMs: number }
  | { type: 'failed'; message: string };

/** Epoch ms with sub-ms precision; comparable across processes on one machine (see docs). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
