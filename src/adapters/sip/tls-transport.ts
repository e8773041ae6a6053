import { isIP } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { TlsMetrics } from '../../observability/tls-metrics.js';
import {
  certificateFailureReason,
  handshakeFailureReason,
  type CertificateFailureReason,
} from '../tls/handshake-failure.js';
import { describePeer, peerAllowed, peerIdentity } from '../tls/peer-identity.js';
import { secureContextOptions, TLS_PROTOCOL_RANGE, type TlsMaterial } from '../tls/tls-material.js';
import type { SipInbound } from './sip-flow.js';
import { listenOn, StreamConnections } from './stream-connections.js';

export interface TlsTransport {
  readonly port: number;
  /** Sends on an open connection to address:port, opening a TLS connection when there is none. */
  send(address: string, port: number, data: Buffer): void;
  connectionCount(): number;
  /** Serves a new certificate (and CA bundle) to new connections; open ones are kept. */
  setMaterial(material: TlsMaterial): void;
  close(): Promise<void>;
}

/**
 * SIP over TLS (RFC 3261 §26.3.2.2 `sips:`, RFC 5630): TLS 1.2/1.3 in front of the same
 * stream-connection handling as TCP. With a CA bundle it is mutual TLS: an SBC must present a
 * certificate that CA issued and, when `allowedPeers` is set, that names one of them; the same
 * checks apply to connections callscribe opens to an SBC. A connection that fails any check
 * (handshake, certificate, plain text on the port) is logged, counted and closed before a single
 * SIP byte is read; the listener carries on.
 */
export async function startTlsTransport(options: {
  host: string;
  port: number;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  material: TlsMaterial;
  allowedPeers: readonly string[];
  inbound: SipInbound;
  metrics: Pick<TlsMetrics, 'tlsHandshakeFailures'>;
  log: Logger;
}): Promise<TlsTransport> {
  const { log, metrics, allowedPeers } = options;
  let material = options.material;
  const mutual = material.ca !== undefined;

  const refuse = (
    reason: string,
    details: {
      remoteAddress?: string | undefined;
      code?: string | undefined;
      peer?: string | undefined;
    },
    direction: 'inbound' | 'outbound',
  ): void => {
    metrics.tlsHandshakeFailures.inc({ listener: 'sip', reason });
    log.warn({ reason, direction, ...details }, 'SIP TLS connection refused');
  };

  /** Mutual TLS: the peer's certificate chains to the CA bundle and names an allowed peer. */
  const peerRefusal = (
    socket: TLSSocket,
  ): { reason: CertificateFailureReason; peer?: string | undefined } | undefined => {
    const certificate = socket.getPeerCertificate();
    if (certificate === null || Object.keys(certificate).length === 0)
      return { reason: 'no-certificate' };
    const identity = peerIdentity(certificate);
    const peer = describePeer(identity);
    if (!socket.authorized)
      return { reason: certificateFailureReason(socket.authorizationError), peer };
    if (!peerAllowed(allowedPeers, identity)) return { reason: 'peer-not-allowed', peer };
    return undefined;
  };

  const connections = new StreamConnections({
    kind: 'tls',
    host: options.host,
    maxMessageBytes: options.maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    inbound: options.inbound,
    log,
    connect: (host, port) => {
      const socket = connect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        // Our certificate doubles as the client certificate SBCs that want mutual TLS ask for.
        cert: material.cert,
        key: material.key,
        ...TLS_PROTOCOL_RANGE,
        // Checked during the handshake, so nothing is written to an SBC that fails it.
        ...(mutual
          ? {
              ca: material.ca,
              rejectUnauthorized: true,
              checkServerIdentity: (_host: string, certificate) =>
                peerAllowed(allowedPeers, peerIdentity(certificate))
                  ? undefined
                  : Object.assign(new Error('the SBC certificate names no allowed peer'), {
                      code: 'PEER_NOT_ALLOWED',
                    }),
            }
          : { rejectUnauthorized: false }),
      });
      let secured = false;
      socket.once('secureConnect', () => (secured = true));
      socket.once('error', (error: NodeJS.ErrnoException) => {
        if (secured) return;
        const code = error.code;
        const reason =
          code === 'PEER_NOT_ALLOWED'
            ? 'peer-not-allowed'
            : code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO/.test(code)
              ? certificateFailureReason(code)
              : handshakeFailureReason(error);
        refuse(reason, { remoteAddress: host, code }, 'outbound');
      });
      return socket;
    },
  });

  const server = createServer({
    ...secureContextOptions(material),
    requestCert: mutual,
    // Verified by hand after the handshake, so each refusal gets its own reason and log line.
    rejectUnauthorized: false,
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const remoteAddress = socket.remoteAddress ?? '';
    const refusal = mutual ? peerRefusal(socket) : undefined;
    if (refusal !== undefined) {
      socket.destroy();
      refuse(refusal.reason, { remoteAddress, peer: refusal.peer }, 'inbound');
      return;
    }
    connections.accept(socket, remoteAddress, socket.remotePort ?? 0);
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    socket.destroy();
    refuse(
      handshakeFailureReason(error),
      { remoteAddress: socket.remoteAddress, code: error.code },
      'inbound',
    );
  });
  server.on('error', (error) => log.error({ err: error }, 'SIP TLS server error'));
  const port = await listenOn(server, options.host, options.port);

  return {
    port,
    send: (address, remotePort, data) => connections.send(address, remotePort, data),
    connectionCount: () => connections.count(),
    setMaterial(next) {
      server.setSecureContext(secureContextOptions(next));
      material = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        connections.destroyAll();
        server.close(() => resolve());
      }),
  };
}
