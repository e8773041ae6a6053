import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { isAppError } from '../../domain/errors.js';
import type { SipFlow, SipInbound } from './sip-flow.js';
import { SipStreamFramer } from './sip-stream-framer.js';

export interface TcpTransport {
  readonly port: number;
  /** Sends on an open connection to address:port, connecting first when there is none. */
  send(address: string, port: number, data: Buffer): void;
  connectionCount(): number;
  close(): Promise<void>;
}

/**
 * SIP over TCP. Every connection, accepted or opened for a BYE, is framed by Content-Length and
 * reused: responses go back on the connection the request came in on, and new requests to a
 * peer use any connection already open to it. Connections silent for `idleTimeoutMs` close.
 */
export async function startTcpTransport(options: {
  host: string;
  port: number;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  inbound: SipInbound;
  log: Logger;
}): Promise<TcpTransport> {
  const { inbound, log } = options;
  const connections = new Map<string, Set<Socket>>();
  let closing = false;

  const keyOf = (address: string, port: number): string => `${address}|${port}`;

  const track = (socket: Socket, remoteAddress: string, remotePort: number): void => {
    const key = keyOf(remoteAddress, remotePort);
    let set = connections.get(key);
    if (!set) connections.set(key, (set = new Set()));
    set.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
    socket.on('error', (error) => log.debug({ err: error }, 'SIP TCP connection error'));
    socket.on('close', () => {
      set.delete(socket);
      if (set.size === 0) connections.delete(key);
    });
    const framer = new SipStreamFramer({ maxMessageBytes: options.maxMessageBytes });
    const flow: SipFlow = {
      transport: 'tcp',
      remoteAddress,
      remotePort,
      get localAddress() {
        return socket.localAddress ?? options.host;
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
  };

  const server: Server = createServer((socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    track(socket, socket.remoteAddress ?? '', socket.remotePort ?? 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error({ err: error }, 'SIP TCP server error'));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;

  const send = (remoteAddress: string, remotePort: number, data: Buffer): void => {
    if (closing) return;
    for (const socket of connections.get(keyOf(remoteAddress, remotePort)) ?? []) {
      if (!socket.destroyed && socket.writable) {
        socket.write(data);
        return;
      }
    }
    const socket = createConnection({ host: remoteAddress, port: remotePort });
    track(socket, remoteAddress, remotePort);
    socket.write(data);
  };

  return {
    port,
    send,
    connectionCount: () => [...connections.values()].reduce((n, set) => n + set.size, 0),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const set of connections.values()) for (const socket of set) socket.destroy();
        connections.clear();
        server.close(() => resolve());
      }),
  };
}
