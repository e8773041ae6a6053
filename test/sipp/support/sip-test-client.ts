import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import {
  headerValue,
  serializeSipMessage,
  type SipMessage,
  type SipRequest,
} from '../../../src/adapters/sip/sip-message.js';
import { parseSipMessage } from '../../../src/adapters/sip/sip-parser.js';
import { SipStreamFramer } from '../../../src/adapters/sip/sip-stream-framer.js';

/** A bare SIP peer for tests: sends bytes, collects every parsed message it receives. */
export class SipTestClient {
  readonly received: SipMessage[] = [];
  readonly transport: 'udp' | 'tcp';
  #udp: UdpSocket | undefined;
  #tcp: TcpSocket | undefined;
  #serverPort: number;
  #waiters: (() => void)[] = [];

  private constructor(transport: 'udp' | 'tcp', serverPort: number) {
    this.transport = transport;
    this.#serverPort = serverPort;
  }

  static async udp(serverPort: number): Promise<SipTestClient> {
    const client = new SipTestClient('udp', serverPort);
    const socket = createSocket('udp4');
    socket.on('message', (data) => client.#push(data));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    client.#udp = socket;
    return client;
  }

  static async tcp(serverPort: number): Promise<SipTestClient> {
    const client = new SipTestClient('tcp', serverPort);
    const framer = new SipStreamFramer({ maxMessageBytes: 1 << 20 });
    const socket = connect({ host: '127.0.0.1', port: serverPort });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk))
        if (frame.type === 'message') client.#push(frame.data);
    });
    client.#tcp = socket;
    return client;
  }

  get port(): number {
    if (this.#udp) return this.#udp.address().port;
    return this.#tcp?.localPort ?? 0;
  }

  get tcpOpen(): boolean {
    return this.#tcp !== undefined && !this.#tcp.destroyed;
  }

  sendRaw(data: Buffer): void {
    if (this.#udp) this.#udp.send(data, this.#serverPort, '127.0.0.1');
    else this.#tcp?.write(data);
  }

  send(request: SipRequest): void {
    this.sendRaw(serializeSipMessage(request));
  }

  /** Resolves with the first received message (from `after` on) that matches. */
  async waitFor(
    match: (m: SipMessage) => boolean,
    options: { timeoutMs?: number; after?: number } = {},
  ): Promise<SipMessage> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const found = this.received.slice(options.after ?? 0).find(match);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('timed out waiting for a SIP message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  responses(callId: string, method?: string): SipMessage[] {
    return this.received.filter(
      (m) =>
        m.kind === 'response' &&
        headerValue(m, 'call-id') === callId &&
        (method === undefined || (headerValue(m, 'cseq') ?? '').endsWith(` ${method}`)),
    );
  }

  async close(): Promise<void> {
    if (this.#udp) await new Promise<void>((resolve) => this.#udp?.close(() => resolve()));
    this.#tcp?.destroy();
  }

  #push(data: Buffer): void {
    try {
      this.received.push(parseSipMessage(data));
    } catch {
      return;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export function isResponse(
  status: number,
  method?: string,
  callId?: string,
): (m: SipMessage) => boolean {
  return (m) =>
    m.kind === 'response' &&
    m.status === status &&
    (method === undefined || (headerValue(m, 'cseq') ?? '').endsWith(` ${method}`)) &&
    (callId === undefined || headerValue(m, 'call-id') === callId);
}
