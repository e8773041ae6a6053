import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { SipFlow, SipInbound } from './sip-flow.js';

/** Largest UDP payload; SIPREC INVITEs of 3-6 KB arrive fragmented but whole. */
const MAX_DATAGRAM_BYTES = 65_535;

export interface UdpTransport {
  readonly port: number;
  send(address: string, port: number, data: Buffer): void;
  close(): Promise<void>;
}

export async function startUdpTransport(options: {
  host: string;
  port: number;
  maxMessageBytes: number;
  inbound: SipInbound;
  log: Logger;
}): Promise<UdpTransport> {
  const { inbound, log } = options;
  const socket: Socket = createSocket({
    type: isIPv6(options.host) ? 'udp6' : 'udp4',
    recvBufferSize: 4 * MAX_DATAGRAM_BYTES,
  });
  socket.on('error', (error) => log.error({ err: error }, 'SIP UDP socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const bound = socket.address();
  let open = true;

  const send = (address: string, port: number, data: Buffer): void => {
    if (!open) return;
    socket.send(data, port, address, (error) => {
      if (error) log.warn({ err: error }, 'SIP UDP send failed');
    });
  };

  socket.on('message', (data, remote) => {
    const flow: SipFlow = {
      transport: 'udp',
      remoteAddress: remote.address,
      remotePort: remote.port,
      localAddress: bound.address,
      localPort: bound.port,
      send: (out) => send(remote.address, remote.port, out),
      isOpen: () => open,
    };
    if (data.length > options.maxMessageBytes) inbound.oversize(data, flow);
    else inbound.message(data, flow);
  });

  return {
    port: bound.port,
    send,
    close: () =>
      new Promise<void>((resolve) => {
        if (!open) return resolve();
        open = false;
        socket.close(() => resolve());
      }),
  };
}
