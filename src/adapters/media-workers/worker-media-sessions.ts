import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import type { CodecPolicy } from '../../media/codec-policy.js';
import type { LoopWindow } from '../../observability/event-loop-monitor.js';
import type { WatchedThread } from '../../observability/load-sampler.js';
import type { CounterSink, HistogramSink } from '../../observability/metric-sinks.js';
import type { Channel } from '../../domain/call.js';
import type { CallAudio, CallAudioContext, CallAudioFactory } from '../../ports/call-audio.js';
import type { SrtpSupport } from '../srtp/srtp-support.js';
import type {
  AcceptedStream,
  CallMediaSink,
  MediaLossReason,
  MediaSession,
  MediaSessions,
  MediaSessionStats,
} from '../rtp/media-sessions.js';
import type {
  FromMediaWorker,
  MetricDeltas,
  PayloadSpec,
  StreamSpec,
  ToMediaWorker,
} from './media-worker-protocol.js';
import { readySignal, type ReadySignal } from '../worker-threads/ready-signal.js';
import type { ComponentHealth } from '../../ports/health.js';

/** What a media worker is started with (structured-cloned into the thread). */
export interface MediaWorkerData {
  index: number;
  config: Readonly<Config>;
  /** This worker's share of `rtpPorts`: it binds its calls' sockets itself. */
  rtpPorts: { min: number; max: number };
  /** Channels to the other media workers running when it starts (transferred). */
  peers: [index: number, port: MessagePort][];
}

export interface WorkerMediaSessionsDeps {
  config: Readonly<Config>;
  workers: number;
  /** The codecs SDP answers may accept (the workers load the same libraries). */
  codecs: CodecPolicy;
  /** `srtpPolicy` and whether the SRTP library loaded (the workers load it too). */
  srtp: SrtpSupport;
  spawn(data: MediaWorkerData, transferList: MessagePort[]): Worker;
  log: Logger;
  /** The main registry's metrics, fed with the workers' deltas. */
  metrics: Record<
    'rtpPackets' | 'rtpDropped' | 'engineGaps' | 'engineFailovers' | 'recordingFailures',
    CounterSink<string>
  > & { segmentLatencyMs: HistogramSink };
}

const REQUEST_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** A scrape waits this long for a worker's window; a worker that does not answer is that late. */
const SCRAPE_WAIT_MS = 1000;
/** Reports come every second; one older than this means the worker's loop is stuck. */
const STALE_REPORT_MS = 2500;
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Resolved with this when the worker dies (an end must not hang on a dead worker). */
  deadValue?: { value: unknown };
  timer: NodeJS.Timeout;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  /**
   * Settled by the worker's first message; only a started worker takes calls, counts in the lag
   * and is replaced when it dies.
   */
  readonly start: ReadySignal;
  alive: boolean;
  readonly sessions: Map<number, RemoteMediaSession>;
  allocating: number;
  readonly pending: Map<number, Pending>;
  lag: LoopWindow | undefined;
  lagAtMs: number;
  /** Reports of windows from before the last reset are not read. */
  lagEpoch: number;
  /** The worker's own storage checks (its recordings), from its last report. */
  health: ComponentHealth[];
}

/**
 * Media across cores: `workers` threads each own a share of the calls, their RTP sockets (bound
 * in the worker, from its share of the port range), the per-packet pipeline and the calls' audio
 * consumers (engine streams, recording). A call's audio never reaches the main thread, which
 * keeps SIP, control and HTTP. A new call goes to the worker holding the fewest.
 *
 * A worker that dies ends the calls it held (`media-worker-failed`: the SBC gets a BYE, the call
 * its closing events) and is replaced for new calls.
 */
export class WorkerMediaSessions implements MediaSessions {
  readonly codecs: CodecPolicy;
  readonly srtp: SrtpSupport;
  readonly #deps: WorkerMediaSessionsDeps;
  readonly #slots: Slot[] = [];
  readonly #ranges: { min: number; max: number }[];
  /** A call's sessions, the one running its audio consumer first (two for a forked recording). */
  readonly #byCallId = new Map<string, RemoteMediaSession[]>();
  #nextId = 1;
  #closing = false;

  constructor(deps: WorkerMediaSessionsDeps) {
    this.#deps = deps;
    this.codecs = deps.codecs;
    this.srtp = deps.srtp;
    this.#ranges = splitPortRange(deps.config.rtpPorts, deps.workers);
    for (let i = 0; i < this.#ranges.length; i++) this.#slots.push(this.#spawn(i));
  }

  get workerCount(): number {
    return this.#slots.length;
  }

  get openSessions(): number {
    return this.#slots.reduce((sum, slot) => sum + slot.sessions.size, 0);
  }

  /** Resolves once every worker has built its decoders and engine; rejects if one cannot. */
  ready(): Promise<void> {
    return Promise.all(this.#slots.map((slot) => slot.start.ready)).then(() => undefined);
  }

  /**
   * The workers' recordings: a full disk is seen by the thread that writes, so each worker
   * checks its own and reports; the first failing one is what `/healthz` shows.
   */
  health(): ComponentHealth {
    for (const slot of this.#slots) {
      const failing = slot.health.find((check) => !check.ok);
      if (failing) return { ...failing, component: `${failing.component} (media-${slot.index})` };
    }
    return { component: 'media workers', ok: true };
  }

  /** Each worker's loop, for admission: the window it last reported, or how long it is silent. */
  threads(): WatchedThread[] {
    return this.#slots.map((_, index) => ({
      name: `media-${index}`,
      take: () => {
        const slot = this.#slots[index]!;
        const silentMs = Date.now() - slot.lagAtMs;
        const lag = slot.lag ?? { p99Ms: 0, maxMs: 0, meanMs: 0, utilization: 0, windowMs: 0 };
        // A worker still starting takes no calls: it is not late, it is not there yet.
        if (!slot.alive || !slot.start.started || silentMs <= STALE_REPORT_MS) return lag;
        return {
          ...lag,
          p99Ms: Math.max(lag.p99Ms, silentMs),
          maxMs: Math.max(lag.maxMs, silentMs),
        };
      },
      reset: () => {
        const slot = this.#slots[index]!;
        slot.lag = undefined;
        slot.lagAtMs = Date.now();
        slot.lagEpoch++;
        this.#post(slot, { type: 'lag-reset', epoch: slot.lagEpoch });
      },
    }));
  }

  /** Every worker's loop since the previous scrape; a worker that does not answer is that late. */
  async loopWindows(): Promise<{ thread: string; window: LoopWindow }[]> {
    return Promise.all(
      this.#slots.map(async (slot) => {
        const startedMs = Date.now();
        const window = await Promise.race([
          this.#request<LoopWindow>(slot, { type: 'loop-window', requestId: 0 }).catch(
            () => undefined,
          ),
          new Promise<undefined>((resolve) =>
            setTimeout(() => resolve(undefined), SCRAPE_WAIT_MS).unref(),
          ),
        ]);
        const waitedMs = Date.now() - startedMs;
        return {
          thread: `media-${slot.index}`,
          window: window ?? {
            p99Ms: waitedMs,
            maxMs: waitedMs,
            meanMs: waitedMs,
            utilization: 1,
            windowMs: waitedMs,
          },
        };
      }),
    );
  }

  /**
   * The calls' audio consumers run in the worker that holds their sockets; a call without
   * media there (every stream declined) gets `local`'s, which then simply hears nothing.
   */
  callAudio(local: CallAudioFactory): CallAudioFactory {
    return {
      create: (context) => {
        const sessions = this.#byCallId.get(context.call.callId) ?? [];
        const home = sessions[0];
        if (home === undefined || !home.usable) return local.create(context);
        return home.openAudio(context, () => this.#byCallId.get(context.call.callId) ?? []);
      },
    };
  }

  async allocate(streamCount: number): Promise<MediaSession> {
    // Allocations in flight count too: a burst of INVITEs must not all pick the same worker.
    const candidates = this.#slots
      .filter((slot) => slot.alive && slot.start.started)
      .sort((a, b) => a.sessions.size + a.allocating - (b.sessions.size + b.allocating));
    let lastError: unknown = new AppError('MEDIA_WORKER_FAILED', 'no media worker is running', {
      retryable: true,
    });
    for (const slot of candidates) {
      const sessionId = this.#nextId++;
      slot.allocating++;
      try {
        const ports = await this.#request<number[]>(slot, {
          type: 'allocate',
          requestId: 0,
          sessionId,
          streamCount,
        });
        const session = new RemoteMediaSession(this, slot, sessionId, ports);
        slot.sessions.set(sessionId, session);
        return session;
      } catch (error) {
        lastError = error;
        // This worker's share of the ports is used up: another may have some.
        if (error instanceof AppError && error.code === 'RTP_PORTS_EXHAUSTED') continue;
        throw error;
      } finally {
        slot.allocating--;
      }
    }
    throw lastError;
  }

  /** Ends a worker as a crash would (exit code 1), for operators and tests. */
  terminateWorker(index: number): void {
    const slot = this.#slots[index];
    if (slot?.alive) this.#post(slot, { type: 'exit', exitCode: 1 });
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (!slot.alive) return;
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        await Promise.race([
          this.#request(slot, { type: 'shutdown', requestId: 0 }).catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref()),
        ]);
        await slot.worker.terminate();
        await exited;
      }),
    );
  }

  /** @internal for RemoteMediaSession */
  post(slot: Slot, message: ToMediaWorker): void {
    this.#post(slot, message);
  }

  /** @internal for RemoteMediaSession */
  request<T>(slot: Slot, message: ToMediaWorker, deadValue?: { value: T }): Promise<T> {
    return this.#request(slot, message, deadValue);
  }

  /**
   * @internal for RemoteMediaSession. Returns the session already running the call's audio
   * consumer, when another dialog of the call came first.
   */
  attached(callId: string, session: RemoteMediaSession): RemoteMediaSession | undefined {
    const sessions = this.#byCallId.get(callId) ?? [];
    const home = sessions.find((s) => s.usable);
    sessions.push(session);
    this.#byCallId.set(callId, sessions);
    return home;
  }

  /** @internal for RemoteMediaSession */
  forget(slot: Slot, session: RemoteMediaSession): void {
    slot.sessions.delete(session.sessionId);
    if (session.callId === undefined) return;
    const sessions = (this.#byCallId.get(session.callId) ?? []).filter((s) => s !== session);
    if (sessions.length === 0) this.#byCallId.delete(session.callId);
    else this.#byCallId.set(session.callId, sessions);
  }

  #post(slot: Slot, message: ToMediaWorker): void {
    if (slot.alive) slot.worker.postMessage(message);
  }

  #request<T>(slot: Slot, message: ToMediaWorker, deadValue?: { value: T }): Promise<T> {
    if (!slot.alive) {
      if (deadValue) return Promise.resolve(deadValue.value);
      return Promise.reject(workerFailed(slot.index));
    }
    const requestId = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(requestId);
        if (deadValue) resolve(deadValue.value);
        else
          reject(
            new AppError('MEDIA_WORKER_TIMEOUT', `media worker ${slot.index} did not answer`, {
              retryable: true,
            }),
          );
      }, REQUEST_TIMEOUT_MS);
      timer.unref();
      slot.pending.set(requestId, {
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(deadValue ? { deadValue } : {}),
        timer,
      });
      slot.worker.postMessage({ ...message, requestId });
    });
  }

  #spawn(index: number): Slot {
    const range = this.#ranges[index]!;
    // A channel to every running worker, so a call's frames can reach the worker running its
    // consumer without passing through this thread.
    const peers: [number, MessagePort][] = [];
    for (const other of this.#slots) {
      if (other.index === index || !other.alive) continue;
      const { port1, port2 } = new MessageChannel();
      peers.push([other.index, port1]);
      other.worker.postMessage({ type: 'peer', index, port: port2 } satisfies ToMediaWorker, [
        port2,
      ]);
    }
    const worker = this.#deps.spawn(
      { index, config: this.#deps.config, rtpPorts: range, peers },
      peers.map(([, port]) => port),
    );
    const start = readySignal();
    const slot: Slot = {
      index,
      worker,
      start,
      alive: true,
      sessions: new Map(),
      allocating: 0,
      pending: new Map(),
      lag: undefined,
      lagAtMs: Date.now(),
      lagEpoch: 0,
      health: [],
    };
    worker.on('message', (message: FromMediaWorker) => {
      if (message.type === 'ready') {
        slot.lagAtMs = Date.now();
        start.resolve();
      } else if (message.type === 'fatal') {
        start.reject(
          new AppError('MEDIA_WORKER_FAILED', `media worker could not start: ${message.message}`),
        );
      } else this.#onMessage(slot, message);
    });
    worker.on('error', (error) =>
      this.#deps.log.error({ err: error, worker: index }, 'media worker crashed'),
    );
    worker.on('exit', (exitCode) => {
      start.reject(new AppError('MEDIA_WORKER_FAILED', 'media worker exited before it was ready'));
      this.#onExit(slot, exitCode);
    });
    return slot;
  }

  #onMessage(slot: Slot, message: Exclude<FromMediaWorker, { type: 'ready' | 'fatal' }>): void {
    switch (message.type) {
      case 'reply': {
        const pending = slot.pending.get(message.requestId);
        if (!pending) return;
        slot.pending.delete(message.requestId);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.value);
        else
          pending.reject(
            new AppError(message.code as ErrorCode, message.message, {
              retryable: message.retryable,
            }),
          );
        return;
      }
      case 'media-timeout':
        slot.sessions.get(message.sessionId)?.lost('media-timeout');
        return;
      case 'segments':
        for (const [sessionId, segment] of message.segments)
          slot.sessions.get(sessionId)?.segment(segment);
        return;
      case 'engine-failover':
        slot.sessions.get(message.sessionId)?.engineFailover(message.failover);
        return;
      case 'report':
        slot.lagAtMs = Date.now();
        if (message.lagEpoch === slot.lagEpoch) slot.lag = message.lag;
        for (const [sessionId, packets] of message.packets)
          slot.sessions.get(sessionId)?.reportPackets(packets);
        this.#applyMetrics(message.metrics);
        slot.health = message.health;
        return;
      case 'log':
        this.#relayLog(message.line);
    }
  }

  #applyMetrics(deltas: MetricDeltas): void {
    const metrics = this.#deps.metrics;
    for (const { name, labels, value } of deltas.counters) {
      const counter = metrics[name as keyof typeof metrics];
      if (counter !== undefined && 'inc' in counter) counter.inc(labels, value);
    }
    for (const { name, values } of deltas.observations) {
      if (name !== 'segmentLatencyMs') continue;
      for (const value of values) metrics.segmentLatencyMs.observe(value);
    }
  }

  #relayLog(line: string): void {
    try {
      const {
        level,
        msg,
        time: _time,
        pid: _pid,
        hostname: _host,
        service: _service,
        ...rest
      } = JSON.parse(line) as Record<string, unknown>;
      const name = LEVELS[Number(level)] ?? 'info';
      this.#deps.log[name](rest, typeof msg === 'string' ? msg : '');
    } catch {
      this.#deps.log.warn('unreadable log line from a media worker');
    }
  }

  #onExit(slot: Slot, exitCode: number): void {
    slot.alive = false;
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      if (pending.deadValue) pending.resolve(pending.deadValue.value);
      else pending.reject(workerFailed(slot.index));
    }
    slot.pending.clear();
    const sessions = [...slot.sessions.values()];
    if (this.#closing) return;
    this.#deps.log.error(
      { worker: slot.index, exitCode, calls: sessions.length },
      'media worker exited; its calls end and it is replaced',
    );
    for (const session of sessions) session.lost('media-worker-failed');
    if (!slot.start.started) return;
    const replacement = this.#spawn(slot.index);
    this.#slots[slot.index] = replacement;
    replacement.start.ready.catch((error: unknown) =>
      this.#deps.log.error(
        { err: error, worker: slot.index },
        'replacement media worker failed to start',
      ),
    );
  }
}

/**
 * The main thread's face of a call's media in a worker. Control goes to the worker; packet
 * counts come back once a second (dialog liveness reads them); full statistics at close.
 */
class RemoteMediaSession implements MediaSession {
  readonly ports: number[];
  readonly codecs: CodecPolicy;
  readonly srtp: SrtpSupport;
  readonly sessionId: number;
  callId: string | undefined;
  readonly #owner: WorkerMediaSessions;
  readonly #slot: Slot;
  readonly #lossListeners: ((reason: MediaLossReason) => void)[] = [];
  #handle: CallMediaSink | undefined;
  #audio: CallAudioContext | undefined;
  #lost = false;
  /** An audio consumer runs in the worker: its results still come after the sockets close. */
  #audioOpen = false;
  /** Whether the call takes audio now; sessions joining later start in this state. */
  flowing = false;
  #stats: MediaSessionStats = emptyStats();
  #closing: Promise<void> | undefined;

  constructor(owner: WorkerMediaSessions, slot: Slot, sessionId: number, ports: number[]) {
    this.#owner = owner;
    this.#slot = slot;
    this.sessionId = sessionId;
    this.ports = ports;
    this.codecs = owner.codecs;
    this.srtp = owner.srtp;
  }

  async addStreams(count: number): Promise<void> {
    if (this.#closing !== undefined)
      throw new AppError('CALL_ENDED', 'the media session closed while adding streams');
    const added = await this.#owner.request<number[]>(this.#slot, {
      type: 'add-streams',
      requestId: 0,
      sessionId: this.sessionId,
      count,
    });
    this.ports.push(...added);
  }

  get slotIndex(): number {
    return this.#slot.index;
  }

  get usable(): boolean {
    return this.#slot.alive && this.#closing === undefined;
  }

  attach(streams: AcceptedStream[], handle: CallMediaSink): void {
    this.#handle = handle;
    this.callId = handle.callId;
    const home = this.#owner.attached(handle.callId, this);
    this.flowing = home?.flowing ?? false;
    this.#owner.post(this.#slot, {
      type: 'attach',
      sessionId: this.sessionId,
      callId: handle.callId,
      preRollMs: handle.preRollMs,
      streams: streams.map(streamSpec),
      channels: channelsOf(streams, handle),
      ...(home ? { audioHome: { worker: home.slotIndex, sessionId: home.sessionId } } : {}),
      flowing: this.flowing,
    });
  }

  update(streams: AcceptedStream[]): void {
    const handle = this.#handle;
    this.#owner.post(this.#slot, {
      type: 'update',
      sessionId: this.sessionId,
      streams: streams.map(streamSpec),
      channels: handle === undefined ? [] : channelsOf(streams, handle),
    });
  }

  setInactive(index: number, inactive: boolean): void {
    this.#owner.post(this.#slot, { type: 'inactive', sessionId: this.sessionId, index, inactive });
  }

  onMediaTimeout(listener: (reason: MediaLossReason) => void): void {
    this.#lossListeners.push(listener);
  }

  stats(): MediaSessionStats {
    return this.#stats;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stats = await this.#owner.request<MediaSessionStats | undefined>(
        this.#slot,
        { type: 'close-session', requestId: 0, sessionId: this.sessionId },
        { value: undefined },
      );
      if (stats) this.#stats = stats;
      if (!this.#audioOpen) this.#owner.forget(this.#slot, this);
    })();
    return this.#closing;
  }

  /** Runs the call's consumer in this session's worker; `sessions` are all of the call's. */
  openAudio(context: CallAudioContext, sessions: () => RemoteMediaSession[]): CallAudio {
    this.#audio = context;
    this.#audioOpen = true;
    const slot = this.#slot;
    const sessionId = this.sessionId;
    const owner = this.#owner;
    // The other dialogs of the call (a forked recording) park or send their frames here.
    const flow = (flowing: boolean): void => {
      for (const session of sessions()) {
        session.flowing = flowing;
        if (session !== this) session.follow(flowing);
      }
    };
    owner.post(slot, {
      type: 'audio-create',
      sessionId,
      call: context.call,
      audioSampleRateHz: context.audioSampleRateHz,
    });
    return {
      acceptAudio: () => {
        flow(true);
        owner.post(slot, { type: 'audio-accept', sessionId });
      },
      start: (offsetMs) => {
        flow(true);
        owner.post(slot, { type: 'audio-start', sessionId, offsetMs });
      },
      stopAudio: () => {
        flow(false);
        owner.post(slot, { type: 'audio-stop', sessionId });
      },
      pause: () => {
        flow(false);
        return owner.request<number>(
          slot,
          { type: 'audio-pause', requestId: 0, sessionId },
          { value: 0 },
        );
      },
      // Frames of this call are consumed in its worker; none come through this thread.
      audio: () => undefined,
      recordSilence: (channels, durationMs) =>
        owner.post(slot, { type: 'audio-silence', sessionId, channels: [...channels], durationMs }),
      finish: async () => {
        flow(false);
        try {
          return await owner.request<string | undefined>(
            slot,
            { type: 'audio-finish', requestId: 0, sessionId },
            { value: undefined },
          );
        } finally {
          this.#audioOpen = false;
          if (this.#closing !== undefined) this.#owner.forget(slot, this);
        }
      },
    };
  }

  /** The call's state, for a session whose frames go to another session's consumer. */
  follow(flowing: boolean): void {
    this.#owner.post(this.#slot, { type: 'flow', sessionId: this.sessionId, flowing });
  }

  reportPackets(packetsReceived: number): void {
    if (this.#closing === undefined) this.#stats = { ...this.#stats, packetsReceived };
  }

  segment(segment: Parameters<CallAudioContext['emit']>[0]): void {
    this.#audio?.emit(segment);
  }

  engineFailover(failover: Parameters<CallAudioContext['engineFailover']>[0]): void {
    this.#audio?.engineFailover(failover);
  }

  lost(reason: MediaLossReason): void {
    if (this.#lost) return;
    this.#lost = true;
    for (const listener of this.#lossListeners) listener(reason);
  }
}

function streamSpec(stream: AcceptedStream): StreamSpec {
  return {
    ...stream,
    payloads: stream.payloads.map((p): PayloadSpec =>
      p.kind === 'audio'
        ? { payloadType: p.payloadType, kind: 'audio', codec: p.decoder.codec.name }
        : { payloadType: p.payloadType, kind: p.kind },
    ),
  };
}

/** The channel of every label the streams name (their own, and those they are mixed into). */
function channelsOf(streams: AcceptedStream[], handle: CallMediaSink): [string, Channel | null][] {
  const labels = new Set(
    streams.flatMap((s) => (s.mixInto === undefined ? [s.label] : [s.label, s.mixInto])),
  );
  return [...labels].map((label) => [label, handle.channelForLabel(label)]);
}

function emptyStats(): MediaSessionStats {
  return {
    packetsReceived: 0,
    packetsDecoded: 0,
    packetsDroppedWhileParked: 0,
    dropped: {},
    decodedByCodec: {},
    telephoneEventPackets: 0,
    comfortNoisePackets: 0,
  };
}

function workerFailed(index: number): AppError {
  return new AppError('MEDIA_WORKER_FAILED', `media worker ${index} exited`, { retryable: true });
}

/** Contiguous even-aligned shares of the port range, one per worker (fewer if it is small). */
export function splitPortRange(
  range: { min: number; max: number },
  workers: number,
): { min: number; max: number }[] {
  const first = range.min + (range.min % 2);
  const pairs = Math.max(0, Math.floor((range.max - first + 1) / 2));
  const count = Math.max(1, Math.min(workers, pairs));
  const shares: { min: number; max: number }[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((pairs * i) / count);
    const to = Math.floor((pairs * (i + 1)) / count);
    shares.push({ min: first + 2 * from, max: first + 2 * to - 1 });
  }
  return shares;
}
