import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { isAppError } from '../../domain/errors.js';
import type { SipFlow, SipInbound, SipTransportKind } from './sip-flow.js';
import { SipStreamFramer } from './sip-stream-framer.js';

export interface StreamConnectionsOptions {
  kind: Exclude<SipTransportKind, 'udp'>;
  host: string;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  inbound: SipInbound;
  log: Logger;
  /** Opens a connection to a peer; writes before it is ready are queued by the socket. */
  connect(address: string, port: number): Socket;
}

/**
 * The connections of one stream transport (TCP, or TLS once its handshake is done), accepted or
 * opened for a request the recorder sends. Every connection is framed by Content-Length and
 * reused: responses go back on the connection the request came in on, and new requests to a
 * peer use any connection already open to it. Connections silent for `idleTimeoutMs` close.
 */
export class StreamConnections {
  readonly #connections = new Map<string, Set<Socket>>();
  readonly #options: StreamConnectionsOptions;
  #closing = false;

  constructor(options: StreamConnectionsOptions) {
    this.#options = options;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** Starts reading SIP from a connection that is ready to carry it. */
  accept(socket: Socket, remoteAddress: string, remotePort: number): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#track(socket, remoteAddress, remotePort);
  }

  /** Sends on an open connection to address:port, connecting first when there is none. */
  send(remoteAddress: string, remotePort: number, data: Buffer): void {
    if (this.#closing) return;
    for (const socket of this.#connections.get(keyOf(remoteAddress, remotePort)) ?? []) {
      if (!socket.destroyed && socket.writable) {
        socket.write(data);
        return;
      }
    }
    const socket = this.#options.connect(remoteAddress, remotePort);
    this.#track(socket, remoteAddress, remotePort);
    socket.write(data);
  }

  count(): number {
    return [...this.#connections.values()].reduce((n, set) => n + set.size, 0);
  }

  destroyAll(): void {
    this.#closing = true;
    for (const set of this.#connections.values()) for (const socket of set) socket.destroy();
    this.#connections.clear();
  }

  #track(socket: Socket, remoteAddress: string, remotePort: number): void {
    const { inbound, log, kind } = this.#options;
    const key = keyOf(remoteAddress, remotePort);
    let set = this.#connections.get(key);
    if (!set) this.#connections.set(key, (set = new Set()));
    set.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.idleTimeoutMs, () => socket.destroy());
    socket.on('error', (error) =>
      log.debug({ err: error, transport: kind }, 'SIP connection error'),
    );
    socket.on('close', () => {
      set.delete(socket);
      if (set.size === 0) this.#connections.delete(key);
    });
    const framer = new SipStreamFramer({ maxMessageBytes: this.#options.maxMessageBytes });
    const host = this.#options.host;
    const flow: SipFlow = {
      transport: kind,
      remoteAddress,
      remotePort,
      get localAddress() {
        return socket.localAddress ?? host;
      },
      get localPort() {
        return socket.localPort ?? 0;
      },
      send: (data) => {
        if (!socket.destroyed && socket.writable) socket.write(data);
      },
      isOpen: () => !socket.destroyed && socket.writable,
    };
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = framer.push(chunk);
      } catch (error) {
        const reason = isAppError(error)
          ? String(error.details.reason ?? 'bad-framing')
          : 'bad-framing';
        if (reason === 'oversize') {
          const head = isAppError(error) ? error.details.head : undefined;
          inbound.oversize(Buffer.isBuffer(head) ? head : undefined, flow);
        } else {
          inbound.dropped(reason);
        }
        socket.end();
        socket.removeAllListeners('data');
        return;
      }
      for (const frame of frames) {
        if (frame.type === 'ping') flow.send(Buffer.from('\r\n'));
        else inbound.message(frame.data, flow);
      }
    });
  }
}

function keyOf(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Binds a listening server; resolves the port it got (`0` asks for a free one). */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}
