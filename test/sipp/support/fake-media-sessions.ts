import { AppError } from '../../../src/domain/errors.js';
import { builtInCodecPolicy, type CodecPolicy } from '../../../src/media/codec-policy.js';
import type { LiveCallHandle } from '../../../src/ports/call-sessions.js';
import type {
  AcceptedStream,
  MediaLossReason,
  MediaSession,
  MediaSessions,
  MediaSessionStats,
} from '../../../src/adapters/rtp/media-sessions.js';

export class FakeMediaSession implements MediaSession {
  readonly ports: number[];
  readonly codecs: CodecPolicy;
  attached: AcceptedStream[] | undefined;
  /** Stream lists of every re-INVITE/UPDATE answer, in order. */
  readonly updates: AcceptedStream[][] = [];
  handle: LiveCallHandle | undefined;
  readonly inactiveCalls: [number, boolean][] = [];
  closed = false;
  #timeoutListener: ((reason: MediaLossReason) => void) | undefined;

  constructor(
    ports: number[],
    codecs: CodecPolicy,
    private readonly nextPort: () => number = () => 0,
  ) {
    this.ports = ports;
    this.codecs = codecs;
  }

  addStreams(count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.ports.push(this.nextPort());
    return Promise.resolve();
  }

  attach(streams: AcceptedStream[], handle: LiveCallHandle): void {
    this.attached = streams;
    this.handle = handle;
  }

  update(streams: AcceptedStream[]): void {
    this.updates.push(streams);
  }

  setInactive(index: number, inactive: boolean): void {
    this.inactiveCalls.push([index, inactive]);
  }

  onMediaTimeout(listener: (reason: MediaLossReason) => void): void {
    this.#timeoutListener = listener;
  }

  fireMediaTimeout(): void {
    this.#timeoutListener?.('media-timeout');
  }

  stats(): MediaSessionStats {
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

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Hands out fake even ports from 30000 up, at most `capacityStreams` at a time. */
export class FakeMediaSessions implements MediaSessions {
  readonly sessions: FakeMediaSession[] = [];
  /** G.711 only unless a test hands in the codecs it wants answered. */
  constructor(readonly codecs: CodecPolicy = builtInCodecPolicy) {}
  capacityStreams = Number.POSITIVE_INFINITY;
  #nextPort = 30000;

  allocate(streamCount: number): Promise<MediaSession> {
    if (Number.isFinite(this.capacityStreams)) {
      const open = this.sessions.filter((s) => !s.closed).reduce((n, s) => n + s.ports.length, 0);
      if (open + streamCount > this.capacityStreams) {
        return Promise.reject(new AppError('RTP_PORTS_EXHAUSTED', 'no free RTP ports'));
      }
    }
    const nextPort = (): number => {
      const port = this.#nextPort;
      this.#nextPort = this.#nextPort >= 60000 ? 30000 : this.#nextPort + 2;
      return port;
    };
    const ports = Array.from({ length: streamCount }, nextPort);
    const session = new FakeMediaSession(ports, this.codecs, nextPort);
    this.sessions.push(session);
    return Promise.resolve(session);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
