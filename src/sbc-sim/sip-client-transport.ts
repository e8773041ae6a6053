import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket as TcpSocket } from 'node:net';
import { SipStreamFramer } from './sip-message.js';

export type SipTransportKind = 'udp' | 'tcp';

/** One SIP flow from the simulator to the recorder; UDP is connected, so only the peer is heard. */
export interface SipClientTransport {
  readonly kind: SipTransportKind;
  /** `UDP` / `TCP`, as written in Via. */
  readonly viaProtocol: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly reliable: boolean;
  send(message: string): void;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
}

export async function openSipClientTransport(
  kind: SipTransportKind,
  target: { host: string; port: number },
): Promise<SipClientTransport> {
  return kind === 'udp' ? openUdp(target) : openTcp(target);
}

async function openUdp(target: { host: string; port: number }): Promise<SipClientTransport> {
  const socket: UdpSocket = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(target.port, target.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const local = socket.address();
  const closeListeners: ((error?: Error) => void)[] = [];
  socket.on('error', (error) => closeListeners.forEach((l) => l(error)));
  return {
    kind: 'udp',
    viaProtocol: 'UDP',
    localAddress: local.address,
    localPort: local.port,
    reliable: false,
    send: (message) => socket.send(message),
    onMessage: (listener) => socket.on('message', (msg) => listener(msg.toString('utf8'))),
    onClose: (listener) => closeListeners.push(listener),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

async function openTcp(target: { host: string; port: number }): Promise<SipClientTransport> {
  const socket: TcpSocket = await new Promise((resolve, reject) => {
    const s = connect({ host: target.host, port: target.port });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  socket.setNoDelay(true);
  const framer = new SipStreamFramer();
  const messageListeners: ((text: string) => void)[] = [];
  const closeListeners: ((error?: Error) => void)[] = [];
  let lastError: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const text of framer.push(chunk)) messageListeners.forEach((l) => l(text));
  });
  socket.on('error', (error) => {
    lastError = error;
  });
  socket.on('close', () => closeListeners.forEach((l) => l(lastError)));
  return {
    kind: 'tcp',
    viaProtocol: 'TCP',
    localAddress: socket.localAddress ?? '127.0.0.1',
    localPort: socket.localPort ?? 0,
    reliable: true,
    send: (message) => {
      socket.write(message);
    },
    onMessage: (listener) => messageListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
    close: () =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      }),
  };
}
