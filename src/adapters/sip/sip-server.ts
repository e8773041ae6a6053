import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CallSessions } from '../../ports/call-sessions.js';
import type { MediaSessions } from '../rtp/media-sessions.js';
import { createSipCore, type SipCoreConfig } from './sip-core.js';
import type { SipMetrics } from './sip-endpoint.js';
import { defaultSipTimers, type SipTimers } from './sip-timers.js';
import { startTcpTransport, type TcpTransport } from './tcp-transport.js';
import { startTlsTransport, type TlsTransport } from './tls-transport.js';
import { startUdpTransport, type UdpTransport } from './udp-transport.js';
import type { TlsMetrics } from '../../observability/tls-metrics.js';
import type { TlsMaterial } from '../tls/tls-material.js';

/** SBCs keep SIPREC connections open between calls; a quiet one is closed after this. */
const DEFAULT_TCP_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface SipServerDeps {
  config: SipCoreConfig &
    Pick<
      Config,
      | 'sipHost'
      | 'sipPort'
      | 'sipTransports'
      | 'sipMaxMessageBytes'
      | 'sipT1Ms'
      | 'sipTlsPort'
      | 'sipTlsAllowedPeers'
      | 'tlsHandshakeTimeoutMs'
    >;
  log: Logger;
  metrics: SipMetrics & Pick<TlsMetrics, 'tlsHandshakeFailures'>;
  /** The certificate (and CA bundle for mutual TLS) of the `tls` transport. */
  tlsMaterial?: TlsMaterial;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  now?: () => number;
  /** RFC 3261 T1/T2; default from `sipT1Ms` (T2 stays 4 s). */
  timers?: SipTimers;
  tcpIdleTimeoutMs?: number;
}

export interface SipServer {
  /** Binds the configured transports; with sipPort 0 each gets its own free port. */
  start(): Promise<{ udpPort?: number; tcpPort?: number; tlsPort?: number }>;
  /** Serves a reloaded certificate on the TLS port; live connections and calls are kept. */
  setTlsMaterial(material: TlsMaterial): void;
  /** Ends live recordings with BYE, then closes the sockets. */
  close(): Promise<void>;
  /** Live recording dialogs (for health and tests). */
  dialogCount(): number;
}

/** The SIPREC recorder's SIP side: UDP, TCP and TLS transports in front of the SIP core. */
export function createSipServer(deps: SipServerDeps): SipServer {
  const { config } = deps;
  const log = deps.log.child({ component: 'sip' });
  let udp: UdpTransport | undefined;
  let tcp: TcpTransport | undefined;
  let tls: TlsTransport | undefined;
  const core = createSipCore({
    ...deps,
    timers: deps.timers ?? {
      t1Ms: config.sipT1Ms,
      t2Ms: Math.max(defaultSipTimers.t2Ms, config.sipT1Ms),
    },
    log,
    sender: {
      send: (transport, address, port, data) => {
        if (transport === 'udp') udp?.send(address, port, data);
        else if (transport === 'tls') tls?.send(address, port, data);
        else tcp?.send(address, port, data);
      },
    },
  });

  return {
    async start() {
      const transports = new Set(config.sipTransports);
      const common = {
        host: config.sipHost,
        maxMessageBytes: config.sipMaxMessageBytes,
        inbound: core.endpoint,
        log,
      };
      try {
        if (transports.has('udp'))
          udp = await startUdpTransport({ ...common, port: config.sipPort });
        if (transports.has('tcp')) {
          tcp = await startTcpTransport({
            ...common,
            port: config.sipPort,
            idleTimeoutMs: deps.tcpIdleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS,
          });
        }
        if (transports.has('tls')) {
          if (deps.tlsMaterial === undefined) throw new Error('SIP over TLS needs a certificate');
          tls = await startTlsTransport({
            ...common,
            port: config.sipTlsPort,
            idleTimeoutMs: deps.tcpIdleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS,
            handshakeTimeoutMs: config.tlsHandshakeTimeoutMs,
            material: deps.tlsMaterial,
            allowedPeers: config.sipTlsAllowedPeers,
            metrics: deps.metrics,
          });
        }
      } catch (error) {
        await Promise.allSettled([udp?.close(), tcp?.close(), tls?.close()]);
        throw error;
      }
      log.info(
        {
          host: config.sipHost,
          udpPort: udp?.port,
          tcpPort: tcp?.port,
          tlsPort: tls?.port,
          mutualTls: tls === undefined ? undefined : deps.tlsMaterial?.ca !== undefined,
        },
        'SIP listening',
      );
      return {
        ...(udp === undefined ? {} : { udpPort: udp.port }),
        ...(tcp === undefined ? {} : { tcpPort: tcp.port }),
        ...(tls === undefined ? {} : { tlsPort: tls.port }),
      };
    },
    setTlsMaterial(material) {
      tls?.setMaterial(material);
    },
    async close() {
      await core.close();
      // Give the BYEs just sent a moment on the wire before the sockets go.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.allSettled([udp?.close(), tcp?.close(), tls?.close()]);
      udp = undefined;
      tcp = undefined;
      tls = undefined;
    },
    dialogCount: () => core.dialogCount(),
  };
}
