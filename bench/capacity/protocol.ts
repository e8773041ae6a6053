/** Messages between the capacity driver and its server and generator processes (fork IPC). */

export type ServerMode = 'processed' | 'parked';

export interface ThreadCpu {
  /** `main`, `media-0`, `media-1`, ... or `other` (libuv pool: file writes; V8: GC, compiler). */
  thread: string;
  cpuMs: number;
}

export interface ServerSample {
  type: 'sample';
  atMs: number;
  /** process.cpuUsage(), all threads. */
  cpuUs: number;
  threads: ThreadCpu[];
  rssBytes: number;
  rtpPackets: number;
  /** callscribe_rtp_dropped_total by reason (`srtp-auth-failed`, `parked`, ...). */
  rtpDropped: Record<string, number>;
  segments: number;
  callsByState: Record<string, number>;
  /** Event-loop lag p99 per thread since the previous sample (the /metrics scrape windows). */
  lagP99Ms: Record<string, number>;
  /** Kernel UDP receive-buffer drops, machine-wide (/proc/net/snmp RcvbufErrors). */
  kernelRcvbufErrors: number;
  admissionRefused: number;
}

export type ServerCommand = { type: 'sample' } | { type: 'stop' };

export type ServerReply =
  | { type: 'ready'; sipPort: number; httpPort: number; mediaWorkers: number }
  | ServerSample
  | { type: 'stopped'; stopMs: number }
  | { type: 'failed'; message: string };

export type GeneratorCommand =
  | {
      type: 'place';
      sipPort: number;
      callIds: string[];
      /** INVITEs per second (open loop). */
      ratePerSecond: number;
    }
  | { type: 'counters' }
  | { type: 'stop-media' }
  | { type: 'hangup' };

export interface GeneratorCounters {
  type: 'counters';
  sent: number;
  skipped: number;
  /** The generator process's CPU so far (process.cpuUsage(), all threads), µs. */
  cpuUs: number;
}

export type GeneratorReply =
  | { type: 'ready' }
  | {
      type: 'placed';
      established: number;
      failed: number;
      firstFailure: string | null;
      /** INVITE sent → 200 OK received (ACK sent), per established call, ms. */
      setupMs: number[];
    }
  | GeneratorCounters
  | { type: 'hung-up'; elapsedMs: number }
  | { type: 'failed'; message: string };
