import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Channel } from '../../domain/call.js';
import { isAppError } from '../../domain/errors.js';
import type { CodecRegistry } from '../../media/codec-registry.js';
import type { StreamPayload } from '../../media/stream-payload.js';
import type { EventLoopMonitor, LoopWindowReader } from '../../observability/event-loop-monitor.js';
import type { CallAudio, CallAudioFactory } from '../../ports/call-audio.js';
import type { ComponentHealth, HealthSource } from '../../ports/health.js';
import type {
  AcceptedStream,
  CallMediaSink,
  MediaSession,
  MediaSessions,
} from '../rtp/media-sessions.js';
import type { ForwardedMetrics } from './forwarded-metrics.js';
import { WorkerOutbox } from './worker-outbox.js';
import { pcmForPost } from '../worker-threads/pcm-for-post.js';
import type { AudioFrame } from '../../media/audio-frame.js';
import type {
  AudioHome,
  FromMediaWorker,
  PeerFrame,
  StreamSpec,
  ToMediaWorker,
} from './media-worker-protocol.js';

const REPORT_INTERVAL_MS = 1000;
/**
 * How long a transcript segment waits for others to share its message to the main thread: far
 * below what a reader notices, and it turns hundreds of messages a second into tens.
 */
const SEGMENT_BATCH_MS = 20;
/** The rolling lag window admission reads: the last three reports. */
const LAG_SPAN_REPORTS = 3;

export interface MediaWorkerChannel {
  postMessage(message: FromMediaWorker): void;
  on(event: 'message', listener: (message: ToMediaWorker) => void): void;
}

export interface MediaWorkerHostDeps {
  /** This worker's index among the media workers. */
  index: number;
  channel: MediaWorkerChannel;
  /** Channels to the other media workers, by their index. */
  peers: [index: number, port: MessagePort][];
  sessions: MediaSessions;
  codecs: CodecRegistry;
  /** The call's transcription and recording, run here, next to its decoder. */
  audio: CallAudioFactory;
  monitor: EventLoopMonitor;
  metrics: ForwardedMetrics;
  log: Logger;
  /** What this worker writes to (its recordings): checked once per report. */
  health: HealthSource[];
  /** Closes what the worker built besides its sessions (engines), at shutdown. */
  closeResources(): Promise<void>;
}

interface Entry {
  readonly session: MediaSession;
  callId: string;
  log: Logger;
  channels: Map<string, Channel | null>;
  audio: CallAudio | undefined;
  /** Mirrors the core's state: PROCESSING (audio taken), or parked/paused/ended. */
  flowing: boolean;
  /** Sockets closed; the entry goes once its audio consumer is finished too. */
  closed: boolean;
}

/**
 * The media worker's side: owns a share of the calls, their sockets, their per-packet pipeline
 * (receive, decode, resample) and their audio consumers (engine streams and recording), so a
 * call's audio never crosses into the main thread. The main thread sends control messages
 * (allocate, attach, state changes) and gets back results, lag and metric deltas.
 */
export class MediaWorkerHost {
  readonly #deps: MediaWorkerHostDeps;
  readonly #entries = new Map<number, Entry>();
  readonly #lag: LoopWindowReader;
  readonly #scrape: LoopWindowReader;
  readonly #timer: NodeJS.Timeout;
  readonly #peers = new Map<number, MessagePort>();
  readonly #outbox: WorkerOutbox;
  #lagEpoch = 0;
  #health: ComponentHealth[] = [];
  #checkingHealth = false;

  constructor(deps: MediaWorkerHostDeps) {
    this.#deps = deps;
    this.#outbox = new WorkerOutbox((message) => deps.channel.postMessage(message), {
      segmentBatchMs: SEGMENT_BATCH_MS,
    });
    for (const [index, port] of deps.peers) this.#addPeer(index, port);
    this.#lag = deps.monitor.reader({ spanTakes: LAG_SPAN_REPORTS });
    this.#scrape = deps.monitor.reader();
    deps.channel.on('message', (message) => this.#onMessage(message));
    this.#timer = setInterval(() => this.#report(), REPORT_INTERVAL_MS);
  }

  #post(message: FromMediaWorker): void {
    this.#outbox.post(message);
  }

  #onMessage(message: ToMediaWorker): void {
    try {
      this.#handle(message);
    } catch (error) {
      this.#deps.log.error({ err: error, message: message.type }, 'media worker message failed');
      if ('requestId' in message) this.#fail(message.requestId, error);
    }
  }

  #handle(message: ToMediaWorker): void {
    switch (message.type) {
      case 'allocate':
        void this.#allocate(message.requestId, message.sessionId, message.streamCount);
        return;
      case 'attach':
        return this.#attach(message);
      case 'flow': {
        const entry = this.#entries.get(message.sessionId);
        if (entry) entry.flowing = message.flowing;
        return;
      }
      case 'peer':
        this.#addPeer(message.index, message.port);
        return;
      case 'update': {
        const entry = this.#entries.get(message.sessionId);
        if (!entry) return;
        for (const [label, channel] of message.channels) entry.channels.set(label, channel);
        entry.session.update(this.#streams(message.streams));
        return;
      }
      case 'inactive':
        this.#entries.get(message.sessionId)?.session.setInactive(message.index, message.inactive);
        return;
      case 'add-streams': {
        const entry = this.#entries.get(message.sessionId);
        if (!entry) {
          this.#fail(message.requestId, new Error('no such media session'));
          return;
        }
        const session = entry.session;
        const before = session.ports.length;
        this.#reply(
          message.requestId,
          session.addStreams(message.count).then(() => session.ports.slice(before)),
        );
        return;
      }
      case 'close-session':
        void this.#closeSession(message.requestId, message.sessionId);
        return;
      case 'audio-create': {
        const entry = this.#entries.get(message.sessionId);
        if (!entry || entry.audio) return;
        const sessionId = message.sessionId;
        entry.audio = this.#deps.audio.create({
          call: message.call,
          audioSampleRateHz: message.audioSampleRateHz,
          log: entry.log,
          emit: (segment) => this.#outbox.segment(sessionId, segment),
          engineFailover: (failover) =>
            this.#post({ type: 'engine-failover', sessionId, failover }),
        });
        return;
      }
      case 'audio-accept':
        return this.#withAudio(message.sessionId, (entry, audio) => {
          entry.flowing = true;
          audio.acceptAudio();
        });
      case 'audio-start':
        return this.#withAudio(message.sessionId, (entry, audio) => {
          entry.flowing = true;
          audio.start(message.offsetMs);
        });
      case 'audio-stop':
        return this.#withAudio(message.sessionId, (entry, audio) => {
          entry.flowing = false;
          audio.stopAudio();
        });
      case 'audio-silence':
        return this.#withAudio(message.sessionId, (_entry, audio) =>
          audio.recordSilence(message.channels, message.durationMs),
        );
      case 'audio-pause': {
        const entry = this.#entries.get(message.sessionId);
        if (entry) entry.flowing = false;
        const pausing = entry?.audio?.pause() ?? Promise.resolve(0);
        this.#reply(message.requestId, pausing);
        return;
      }
      case 'audio-finish': {
        const entry = this.#entries.get(message.sessionId);
        if (entry) entry.flowing = false;
        const sessionId = message.sessionId;
        const finishing = (entry?.audio?.finish() ?? Promise.resolve(undefined)).finally(() => {
          // Nothing of the call stays here once its consumer is done and its sockets closed.
          if (!entry) return;
          entry.audio = undefined;
          if (entry.closed) this.#entries.delete(sessionId);
        });
        this.#reply(message.requestId, finishing);
        return;
      }
      case 'lag-reset':
        this.#lag.reset();
        this.#scrape.reset();
        this.#lagEpoch = message.epoch;
        return;
      case 'loop-window':
        this.#post({
          type: 'reply',
          requestId: message.requestId,
          ok: true,
          value: this.#scrape.take(),
        });
        return;
      case 'shutdown':
        this.#reply(message.requestId, this.#shutdown());
        return;
      case 'exit':
        process.exit(message.exitCode);
    }
  }

  async #allocate(requestId: number, sessionId: number, streamCount: number): Promise<void> {
    try {
      const session = await this.#deps.sessions.allocate(streamCount);
      const entry: Entry = {
        session,
        callId: '',
        log: this.#deps.log,
        channels: new Map(),
        audio: undefined,
        flowing: false,
        closed: false,
      };
      this.#entries.set(sessionId, entry);
      session.onMediaTimeout(() => this.#post({ type: 'media-timeout', sessionId }));
      this.#post({ type: 'reply', requestId, ok: true, value: [...session.ports] });
    } catch (error) {
      this.#fail(requestId, error);
    }
  }

  #attach(message: Extract<ToMediaWorker, { type: 'attach' }>): void {
    const entry = this.#entries.get(message.sessionId);
    if (!entry) return;
    entry.callId = message.callId;
    entry.log = this.#deps.log.child({ callId: message.callId });
    entry.channels = new Map(message.channels);
    entry.flowing = message.flowing;
    const home = message.audioHome;
    const deliver =
      home === undefined
        ? (channel: Channel, frame: AudioFrame) => entry.audio?.audio(channel, frame)
        : (channel: Channel, frame: AudioFrame) => this.#sendHome(home, channel, frame);
    const sink: CallMediaSink = {
      callId: message.callId,
      preRollMs: message.preRollMs,
      wantsAudio: () => entry.flowing,
      channelForLabel: (label) => entry.channels.get(label) ?? null,
      audio: deliver,
      preRoll: deliver,
    };
    entry.session.attach(this.#streams(message.streams), sink);
  }

  #addPeer(index: number, port: MessagePort): void {
    this.#peers.get(index)?.close();
    this.#peers.set(index, port);
    port.on('message', (frame: PeerFrame) => this.#deliver(frame));
  }

  /** A frame of a call whose consumer runs in another session (here or in another worker). */
  #sendHome(home: AudioHome, channel: Channel, frame: AudioFrame): void {
    if (home.worker === this.#deps.index) {
      this.#entries.get(home.sessionId)?.audio?.audio(channel, frame);
      return;
    }
    const posted = pcmForPost(frame.pcm);
    const message: PeerFrame = {
      type: 'frame',
      sessionId: home.sessionId,
      channel,
      pcm: posted.pcm,
      sampleRateHz: frame.sampleRateHz,
    };
    this.#peers.get(home.worker)?.postMessage(message, posted.transfer);
  }

  #deliver(frame: PeerFrame): void {
    this.#entries
      .get(frame.sessionId)
      ?.audio?.audio(frame.channel, { pcm: frame.pcm, sampleRateHz: frame.sampleRateHz });
  }

  async #closeSession(requestId: number, sessionId: number): Promise<void> {
    const entry = this.#entries.get(sessionId);
    if (!entry) {
      this.#post({ type: 'reply', requestId, ok: true });
      return;
    }
    try {
      entry.flowing = false;
      await entry.session.close();
      const stats = entry.session.stats();
      this.#post({ type: 'reply', requestId, ok: true, value: stats });
    } catch (error) {
      this.#fail(requestId, error);
    } finally {
      // The call's end (BYE) closes the sockets and finishes the consumer at the same time: the
      // consumer still delivers its final results, and its finish removes the entry.
      entry.closed = true;
      if (entry.audio === undefined) this.#entries.delete(sessionId);
    }
  }

  #withAudio(sessionId: number, step: (entry: Entry, audio: CallAudio) => void): void {
    const entry = this.#entries.get(sessionId);
    if (entry?.audio) step(entry, entry.audio);
  }

  #streams(specs: StreamSpec[]): AcceptedStream[] {
    return specs.map((spec) => ({
      ...spec,
      payloads: spec.payloads.flatMap((p): StreamPayload[] => {
        if (p.kind !== 'audio') return [{ payloadType: p.payloadType, kind: p.kind }];
        const decoder = this.#deps.codecs.get(p.codec);
        if (decoder === undefined) {
          this.#deps.log.warn({ codec: p.codec }, 'codec not available in the media worker');
          return [];
        }
        return [{ payloadType: p.payloadType, kind: 'audio', decoder }];
      }),
    }));
  }

  #reply(requestId: number, work: Promise<unknown>): void {
    work.then(
      (value) => this.#post({ type: 'reply', requestId, ok: true, value }),
      (error: unknown) => this.#fail(requestId, error),
    );
  }

  #fail(requestId: number, error: unknown): void {
    this.#post({
      type: 'reply',
      requestId,
      ok: false,
      code: isAppError(error) ? error.code : 'INTERNAL_ERROR',
      message: error instanceof Error ? error.message : String(error),
      retryable: isAppError(error) ? error.retryable : false,
    });
  }

  #report(): void {
    this.#checkHealth();
    const packets: [number, number][] = [];
    for (const [sessionId, entry] of this.#entries)
      packets.push([sessionId, entry.session.stats().packetsReceived]);
    this.#post({
      type: 'report',
      lag: this.#lag.take(),
      lagEpoch: this.#lagEpoch,
      packets,
      metrics: this.#deps.metrics.take(),
      health: this.#health,
    });
  }

  /** Refreshes the health the next report carries (a failing source probes, so not awaited here). */
  #checkHealth(): void {
    if (this.#checkingHealth) return;
    this.#checkingHealth = true;
    void Promise.all(this.#deps.health.map((source) => source.health()))
      .then((checks) => {
        this.#health = checks;
      })
      .catch((error: unknown) => {
        this.#deps.log.error({ err: error }, 'media worker health check failed');
      })
      .finally(() => {
        this.#checkingHealth = false;
      });
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#timer);
    const entries = [...this.#entries.values()];
    await Promise.allSettled(entries.map((entry) => entry.audio?.finish()));
    await this.#deps.sessions.close();
    await this.#deps.closeResources();
    for (const port of this.#peers.values()) port.close();
    this.#report();
  }
}
