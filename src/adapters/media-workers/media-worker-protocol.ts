import type { MessagePort } from 'node:worker_threads';
import type { AddTranscriptSegmentEvent } from '../../domain/call-event.js';
import type { CallData, Channel } from '../../domain/call.js';
import type { EngineFailover } from '../../domain/engine-failover.js';
import type { CodecName, SignallingPayload } from '../../media/codecs.js';
import type { AcceptedStream } from '../rtp/media-sessions.js';
import type { LoopWindow } from '../../observability/event-loop-monitor.js';
import type { ComponentHealth } from '../../ports/health.js';

/** An accepted payload type as plain data: the worker finds the decoder in its own registry. */
export type PayloadSpec =
  | { payloadType: number; kind: 'audio'; codec: CodecName }
  | { payloadType: number; kind: SignallingPayload };

/** An accepted stream as plain data (SRTP keying included: the worker builds its unprotector). */
export type StreamSpec = Omit<AcceptedStream, 'payloads'> & { payloads: PayloadSpec[] };

export type Segment = Omit<AddTranscriptSegmentEvent, 'CallId' | 'CreatedAt' | 'EventType'>;

/** Counter increments and histogram observations since the previous report. */
export interface MetricDeltas {
  counters: { name: string; labels: Record<string, string | number>; value: number }[];
  observations: { name: string; values: number[] }[];
}

/** Where a call's audio consumer runs: a session in some media worker. */
export interface AudioHome {
  worker: number;
  sessionId: number;
}

/**
 * Between media workers: frames of a call whose dialogs landed in two workers (a forked
 * recording is two dialogs, one per voice) go to the worker running its audio consumer.
 */
export interface PeerFrame {
  type: 'frame';
  sessionId: number;
  channel: Channel;
  pcm: Int16Array;
  sampleRateHz: number;
}

export type ToMediaWorker =
  | { type: 'allocate'; requestId: number; sessionId: number; streamCount: number }
  | {
      type: 'attach';
      sessionId: number;
      callId: string;
      preRollMs: number;
      streams: StreamSpec[];
      channels: [label: string, channel: Channel | null][];
      /** Another session of the same call runs its audio consumer: frames go there. */
      audioHome?: AudioHome;
      /** Whether the call takes audio now (a session joining a call already PROCESSING). */
      flowing: boolean;
    }
  /** A session whose frames go to another session's consumer follows the call's state. */
  | { type: 'flow'; sessionId: number; flowing: boolean }
  /** A channel to another media worker (one was started or replaced). */
  | { type: 'peer'; index: number; port: MessagePort }
  | {
      type: 'update';
      sessionId: number;
      streams: StreamSpec[];
      channels: [label: string, channel: Channel | null][];
    }
  | { type: 'inactive'; sessionId: number; index: number; inactive: boolean }
  | { type: 'add-streams'; requestId: number; sessionId: number; count: number }
  | { type: 'close-session'; requestId: number; sessionId: number }
  | { type: 'audio-create'; sessionId: number; call: CallData; audioSampleRateHz: number }
  | { type: 'audio-accept'; sessionId: number }
  | { type: 'audio-start'; sessionId: number; offsetMs: number }
  | { type: 'audio-stop'; sessionId: number }
  | { type: 'audio-silence'; sessionId: number; channels: Channel[]; durationMs: number }
  | { type: 'audio-pause'; requestId: number; sessionId: number }
  | { type: 'audio-finish'; requestId: number; sessionId: number }
  | { type: 'loop-window'; requestId: number }
  /** Forget the loop so far (the node's start is not load): reports carry the epoch after. */
  | { type: 'lag-reset'; epoch: number }
  | { type: 'shutdown'; requestId: number }
  /** Ends the worker between two messages, as a crash would (operators, tests). */
  | { type: 'exit'; exitCode: number };

export type FromMediaWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'reply'; requestId: number; ok: true; value?: unknown }
  | {
      type: 'reply';
      requestId: number;
      ok: false;
      code: string;
      message: string;
      retryable: boolean;
    }
  | { type: 'media-timeout'; sessionId: number }
  /** Transcript segments, gathered for a few milliseconds (see WorkerOutbox), in order. */
  | { type: 'segments'; segments: [sessionId: number, segment: Segment][] }
  | { type: 'engine-failover'; sessionId: number; failover: EngineFailover }
  | {
      type: 'report';
      /** The worker's loop over the last few seconds (rolling, for admission). */
      lag: LoopWindow;
      /** The last `lag-reset` the window follows. */
      lagEpoch: number;
      /** Packets received per session so far (dialog liveness reads them). */
      packets: [sessionId: number, packetsReceived: number][];
      metrics: MetricDeltas;
      /** This worker's storage (its recordings), as of its last check. */
      health: ComponentHealth[];
    }
  /** One pino line, written by the main thread's logger. */
  | { type: 'log'; line: string };
