export type SipTransportKind = 'udp' | 'tcp' | 'tls';

/**
 * Where a message came from and how to answer it: responses go back on the same flow (the
 * same UDP socket to the source address, or the same TCP connection), RFC 3261 §18.2.2.
 */
export interface SipFlow {
  readonly transport: SipTransportKind;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The local address the message arrived on; a wildcard (0.0.0.0, ::) when UDP cannot tell. */
  readonly localAddress: string;
  readonly localPort: number;
  send(data: Buffer): void;
  isOpen(): boolean;
}

/** What transports hand to the SIP core. */
export interface SipInbound {
  message(data: Buffer, flow: SipFlow): void;
  /** A message over sipMaxMessageBytes; `head` is its header section when it could be read. */
  oversize(head: Buffer | undefined, flow: SipFlow): void;
  /** Bytes that could not become a message (broken TCP framing); counted, never answered. */
  dropped(reason: string): void;
}

/** Sending a new request (BYE) outside an existing flow. */
export interface SipSender {
  send(transport: SipTransportKind, address: string, port: number, data: Buffer): void;
}
