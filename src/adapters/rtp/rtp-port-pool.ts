import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { AppError } from '../../domain/errors.js';

/** An RTP socket on an even port and the RTCP socket on port+1 that holds the port. */
export interface RtpPortPair {
  readonly port: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

export interface RtpPortPoolOptions {
  host: string;
  range: { min: number; max: number };
}

/**
 * Hands out even/odd port pairs from the configured range, skipping ports another process
 * holds. The cursor moves round-robin so a freed port is not reused at once: late packets of
 * the previous call would otherwise land in the next one.
 */
export class RtpPortPool {
  readonly #host: string;
  readonly #type: 'udp4' | 'udp6';
  readonly #firstPort: number;
  readonly #pairCount: number;
  readonly #inUse = new Set<number>();
  #cursor = 0;

  constructor(options: RtpPortPoolOptions) {
    this.#host = options.host;
    this.#type = isIPv6(options.host) ? 'udp6' : 'udp4';
    this.#firstPort = options.range.min + (options.range.min % 2);
    this.#pairCount = Math.max(0, Math.floor((options.range.max - this.#firstPort + 1) / 2));
  }

  get capacity(): number {
    return this.#pairCount;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  async acquire(): Promise<RtpPortPair> {
    for (let tried = 0; tried < this.#pairCount; tried++) {
      const port = this.#firstPort + 2 * this.#cursor;
      this.#cursor = (this.#cursor + 1) % this.#pairCount;
      if (this.#inUse.has(port)) continue;
      this.#inUse.add(port);
      const pair = await this.#bindPair(port);
      if (pair) return pair;
      this.#inUse.delete(port);
    }
    throw new AppError('RTP_PORTS_EXHAUSTED', 'no free RTP port pair in the configured range', {
      retryable: true,
      details: { capacity: this.#pairCount, inUse: this.#inUse.size },
    });
  }

  async release(pair: RtpPortPair): Promise<void> {
    await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp)]);
    this.#inUse.delete(pair.port);
  }

  async #bindPair(port: number): Promise<RtpPortPair | null> {
    const rtp = await this.#bind(port);
    if (!rtp) return null;
    const rtcp = await this.#bind(port + 1);
    if (!rtcp) {
      await closeSocket(rtp);
      return null;
    }
    // RTCP is not used; reading it keeps the kernel buffer from filling up.
    rtcp.on('message', ignore);
    return { port, rtp, rtcp };
  }

  #bind(port: number): Promise<Socket | null> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: this.#type, reuseAddr: false });
      const onError = (): void => {
        socket.close();
        resolve(null);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.#host, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    });
  }
}

function ignore(): void {}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
