import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CallSessions } from '../../ports/call-sessions.js';
import type { MediaSessions } from '../rtp/media-sessions.js';
import { ClientTransactions } from './client-transactions.js';
import { DialogStore } from './dialogs.js';
import { RecorderUa } from './recorder-ua.js';
import { metricMethod, SipEndpoint, type SipMetrics } from './sip-endpoint.js';
import type { SipSender } from './sip-flow.js';
import { defaultSipTimers, type SipTimers } from './sip-timers.js';
import { ServerTransactions } from './server-transactions.js';
import { sourceAllowlist } from './source-allowlist.js';
import { SourceRateLimiter } from './source-rate-limiter.js';
import { startTcpTransport, type TcpTransport } from './tcp-transport.js';
import { startUdpTransport, type UdpTransport } from './udp-transport.js';

/** SBCs keep SIPREC connections open between calls; a quiet one is closed after this. */
const DEFAULT_TCP_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface SipServerDeps {
  config: Pick<
    Config,
    | 'sipHost'
    | 'sipPort'
    | 'sipTransports'
    | 'sipAdvertisedAddress'
    | 'sipMaxMessageBytes'
    | 'sipRateLimitPerSecond'
    | 'sipAllowlist'
    | 'maxConcurrentCalls'
    | 'callIdSource'
    | 'sbcProfiles'
    | 'rtpHost'
  >;
  log: Logger;
  metrics: SipMetrics;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  now?: () => number;
  /** RFC 3261 T1/T2; tests shorten them. */
  timers?: SipTimers;
  tcpIdleTimeoutMs?: number;
}

export interface SipServer {
  /** Binds the configured transports; with sipPort 0 each gets its own free port. */
  start(): Promise<{ udpPort?: number; tcpPort?: number }>;
  /** Ends live recordings with BYE, then closes the sockets. */
  close(): Promise<void>;
  /** Live recording dialogs (for health and tests). */
  dialogCount(): number;
}

/** The SIPREC recorder's SIP side, assembled: transports → endpoint → transactions → UA. */
export function createSipServer(deps: SipServerDeps): SipServer {
  const { config, metrics } = deps;
  const log = deps.log.child({ component: 'sip' });
  const timers = deps.timers ?? defaultSipTimers;
  let udp: UdpTransport | undefined;
  let tcp: TcpTransport | undefined;

  const serverTransactions = new ServerTransactions({
    timers,
    log,
    onAckTimeout: (transaction) => ua.ackTimeout(transaction),
    onFinalResponse: (transaction, status) =>
      metrics.sipRequests.inc({
        method: metricMethod(transaction.request.method),
        status: String(status),
      }),
  });
  const clientTransactions = new ClientTransactions({ timers, log });
  const sender: SipSender = {
    send: (transport, address, port, data) => {
      if (transport === 'udp') udp?.send(address, port, data);
      else tcp?.send(address, port, data);
    },
  };
  const endpoint = new SipEndpoint({
    log,
    metrics,
    allowed: sourceAllowlist(config.sipAllowlist),
    rateLimiter: new SourceRateLimiter({
      perSecond: config.sipRateLimitPerSecond,
      now: deps.now ?? Date.now,
    }),
    serverTransactions,
    clientTransactions,
  });
  const dialogs = new DialogStore();
  const ua = new RecorderUa({
    config,
    log,
    callSessions: deps.callSessions,
    mediaSessions: deps.mediaSessions,
    dialogs,
    serverTransactions,
    clientTransactions,
    sender,
  });
  endpoint.setHandler(ua);

  return {
    async start() {
      const transports = new Set(config.sipTransports);
      const common = {
        host: config.sipHost,
        maxMessageBytes: config.sipMaxMessageBytes,
        inbound: endpoint,
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
      } catch (error) {
        await Promise.allSettled([udp?.close(), tcp?.close()]);
        throw error;
      }
      log.info({ host: config.sipHost, udpPort: udp?.port, tcpPort: tcp?.port }, 'SIP listening');
      return {
        ...(udp === undefined ? {} : { udpPort: udp.port }),
        ...(tcp === undefined ? {} : { tcpPort: tcp.port }),
      };
    },
    async close() {
      await ua.close();
      // Give the BYEs just sent a moment on the wire before the sockets go.
      await new Promise((resolve) => setTimeout(resolve, 50));
      clientTransactions.close();
      serverTransactions.close();
      await Promise.allSettled([udp?.close(), tcp?.close()]);
      udp = undefined;
      tcp = undefined;
    },
    dialogCount: () => dialogs.size,
  };
}
