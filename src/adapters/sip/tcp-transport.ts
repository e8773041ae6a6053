import { createConnection, createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import type { SipInbound } from './sip-flow.js';
import { listenOn, StreamConnections } from './stream-connections.js';

export interface TcpTransport {
  readonly port: number;
  /** Sends on an open connection to address:port, connecting first when there is none. */
  send(address: string, port: number, data: Buffer): void;
  connectionCount(): number;
  close(): Promise<void>;
}

/** SIP over TCP: plain connections in front of the shared stream-connection handling. */
export async function startTcpTransport(options: {
  host: string;
  port: number;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  inbound: SipInbound;
  log: Logger;
}): Promise<TcpTransport> {
  const connections = new StreamConnections({
    ...options,
    kind: 'tcp',
    connect: (host, port) => createConnection({ host, port }),
  });
  const server: Server = createServer((socket) =>
    connections.accept(socket, socket.remoteAddress ?? '', socket.remotePort ?? 0),
  );
  const port = await listenOn(server, options.host, options.port);
  server.on('error', (error) => options.log.error({ err: error }, 'SIP TCP server error'));
  return {
    port,
    send: (address, remotePort, data) => connections.send(address, remotePort, data),
    connectionCount: () => connections.count(),
    close: () =>
      new Promise<void>((resolve) => {
        connections.destroyAll();
        server.close(() => resolve());
      }),
  };
}
