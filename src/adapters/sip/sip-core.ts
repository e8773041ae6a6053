import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CallSessions } from '../../ports/call-sessions.js';
import type { MediaSessions } from '../rtp/media-sessions.js';
import { ClientTransactions } from './client-transactions.js';
import { DialogStore } from './dialogs.js';
import { RecorderUa } from './recorder-ua.js';
import { metricMethod, SipEndpoint, type SipMetrics } from './sip-endpoint.js';
import type { SipSender } from './sip-flow.js';
import { answerWithinMs, defaultSipTimers, type SipTimers } from './sip-timers.js';
import { ServerTransactions } from './server-transactions.js';
import { sourceAllowlist } from './source-allowlist.js';
import { SourceRateLimiter } from './source-rate-limiter.js';

export type SipCoreConfig = Pick<
  Config,
  | 'sipAdvertisedAddress'
  | 'sipRateLimitPerSecond'
  | 'sipAllowlist'
  | 'callIdSource'
  | 'sbcProfiles'
  | 'rtpHost'
  | 'sipMinSessionExpiresS'
  | 'dialogProbeIntervalMs'
>;

export interface SipCoreDeps {
  config: SipCoreConfig;
  log: Logger;
  metrics: SipMetrics;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  /** How requests the recorder originates (BYE) leave when they cannot reuse a flow. */
  sender: SipSender;
  now?: () => number;
  timers?: SipTimers;
}

export interface SipCore {
  /** Feed it whatever the transports receive. */
  readonly endpoint: SipEndpoint;
  dialogCount(): number;
  /** Resolves when every request received so far has been fully handled. */
  settled(): Promise<void>;
  /** BYE to every live recording, then timers cleared. */
  close(): Promise<void>;
}

/** Everything between the sockets and the core: endpoint → transactions → recorder UA. */
export function createSipCore(deps: SipCoreDeps): SipCore {
  const { config, log, metrics } = deps;
  const timers = deps.timers ?? defaultSipTimers;
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
    sender: deps.sender,
    metrics,
    answerWithinMs: answerWithinMs(timers),
  });
  endpoint.setHandler(ua);
  return {
    endpoint,
    dialogCount: () => dialogs.size,
    settled: () => ua.settled(),
    async close() {
      await ua.close();
      clientTransactions.close();
      serverTransactions.close();
    },
  };
}
