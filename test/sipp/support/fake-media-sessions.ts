import { AppError } from '../../../src/domain/errors.js';
import type { LiveCallHandle } from '../../../src/ports/call-sessions.js';
import type {
  AcceptedStream,
  MediaSession,
  MediaSessions,
  MediaSessionStats,
} from '../../../src/adapters/rtp/media-sessions.js';

export class FakeMediaSession implements MediaSession {
  readonly ports: readonly number[];
  attached: AcceptedStream[] | undefined;
  handle: LiveCallHandle | undefined;
  readonly inactiveCalls: [number, boolean][] = [];
  closed = false;
  #timeoutListener: (() => void) | undefined;

  constructor(ports: number[]) {
    this.ports = ports;
  }

  attach(streams: AcceptedStream[], handle: LiveCallHandle): void {
    this.attached = streams;
    this.handle = handle;
  }

  setInactive(index: number, inactive: boolean): void {
    this.inactiveCalls.push([index, inactive]);
  }

  onMediaTimeout(listener: () => void): void {
    this.#timeoutListener = listener;
  }

  fireMediaTimeout(): void {
    this.#timeoutListener?.();
  }

  stats(): MediaSessionStats {
    return { packetsReceived: 0, packetsDecoded: 0, packetsDroppedWhileParked: 0, dropped: {} };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Hands out fake even ports from 30000 up, at most `capacityStreams` at a time. */
export class FakeMediaSessions implements MediaSessions {
  readonly sessions: FakeMediaSession[] = [];
  capacityStreams = Number.POSITIVE_INFINITY;
  #nextPort = 30000;

  allocate(streamCount: number): Promise<MediaSession> {
    if (Number.isFinite(this.capacityStreams)) {
      const open = this.sessions.filter((s) => !s.closed).reduce((n, s) => n + s.ports.length, 0);
      if (open + streamCount > this.capacityStreams) {
        return Promise.reject(new AppError('RTP_PORTS_EXHAUSTED', 'no free RTP ports'));
      }
    }
    const ports = Array.from({ length: streamCount }, () => {
      const port = this.#nextPort;
      this.#nextPort = this.#nextPort >= 60000 ? 30000 : this.#nextPort + 2;
      return port;
    });
    const session = new FakeMediaSession(ports);
    this.sessions.push(session);
    return Promise.resolve(session);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
