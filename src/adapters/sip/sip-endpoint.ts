import type { Logger } from 'pino';
import { isAppError } from '../../domain/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ClientTransactions } from './client-transactions.js';
import type { SipFlow, SipInbound } from './sip-flow.js';
import { serializeSipMessage, type SipRequest } from './sip-message.js';
import { parseSipHead, parseSipMessage } from './sip-parser.js';
import { requestInfo, topViaOf, type RequestInfo } from './sip-request-info.js';
import { buildResponse } from './sip-response.js';
import type { ServerTransaction, ServerTransactions } from './server-transactions.js';
import type { AddressMatcher } from './source-allowlist.js';
import type { SourceRateLimiter } from './source-rate-limiter.js';

/** What the endpoint hands to the user agent once a request is known to be new and allowed. */
export interface SipRequestHandler {
  /** A new server transaction (any method but ACK); the handler must answer it. */
  request(transaction: ServerTransaction): void;
  /** An ACK to a 2xx; false when it matched no dialog. */
  ack(request: SipRequest, info: RequestInfo, flow: SipFlow): boolean;
}

export type SipMetrics = Pick<
  Metrics,
  'sipRequests' | 'sipDropped' | 'sipLenient' | 'admissionRefused' | 'lateAnswers'
>;

/**
 * Bytes in, requests out: parsing, the checks that need no call state (mandatory headers → 400,
 * allowlist → 403, size → 513, rate limit → 503), the transaction layer, and the metrics. Each
 * message is handled in isolation: whatever one message does, the next one is unaffected.
 */
export class SipEndpoint implements SipInbound {
  readonly #log: Logger;
  readonly #metrics: SipMetrics;
  readonly #allowed: AddressMatcher;
  readonly #rateLimiter: SourceRateLimiter;
  readonly #serverTransactions: ServerTransactions;
  readonly #clientTransactions: ClientTransactions;
  #handler: SipRequestHandler | undefined;

  constructor(deps: {
    log: Logger;
    metrics: SipMetrics;
    allowed: AddressMatcher;
    rateLimiter: SourceRateLimiter;
    serverTransactions: ServerTransactions;
    clientTransactions: ClientTransactions;
  }) {
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#allowed = deps.allowed;
    this.#rateLimiter = deps.rateLimiter;
    this.#serverTransactions = deps.serverTransactions;
    this.#clientTransactions = deps.clientTransactions;
  }

  setHandler(handler: SipRequestHandler): void {
    this.#handler = handler;
  }

  dropped(reason: string): void {
    this.#metrics.sipDropped.inc({ reason });
  }

  oversize(head: Buffer | undefined, flow: SipFlow): void {
    try {
      const message = head === undefined ? undefined : parseSipHead(head);
      if (
        message?.kind === 'request' &&
        message.method !== 'ACK' &&
        topViaOf(message) !== undefined
      ) {
        this.#statelessReply(message, flow, 513);
        return;
      }
    } catch {
      // The header section itself is unreadable: nothing to answer to.
    }
    this.dropped('oversize');
  }

  message(data: Buffer, flow: SipFlow): void {
    try {
      this.#message(data, flow);
    } catch (error) {
      this.#log.error({ err: error }, 'SIP message handling failed');
      this.dropped('internal-error');
    }
  }

  #message(data: Buffer, flow: SipFlow): void {
    let message;
    try {
      message = parseSipMessage(data);
    } catch {
      this.#salvageBadRequest(data, flow);
      return;
    }
    if (message.kind === 'response') {
      if (!this.#clientTransactions.receive(message)) this.dropped('stray-response');
      return;
    }
    const request = message;
    if (topViaOf(request) === undefined) {
      this.dropped('no-via');
      return;
    }
    let info: RequestInfo;
    try {
      info = requestInfo(request);
    } catch (error) {
      if (request.method === 'ACK') this.dropped('bad-ack');
      else this.#statelessReply(request, flow, 400, isAppError(error) ? error.message : undefined);
      return;
    }
    if (!this.#allowed(flow.remoteAddress)) {
      if (request.method === 'ACK') this.dropped('not-allowed');
      else this.#statelessReply(request, flow, 403);
      return;
    }
    const outcome = this.#serverTransactions.receive(request, info, flow);
    switch (outcome.kind) {
      case 'retransmission':
        this.#metrics.sipRequests.inc({
          method: metricMethod(request.method),
          status: 'retransmission',
        });
        return;
      case 'ack-absorbed':
        this.#metrics.sipRequests.inc({ method: 'ACK', status: 'absorbed' });
        return;
      case 'ack':
        if (this.#handler?.ack(request, info, flow))
          this.#metrics.sipRequests.inc({ method: 'ACK', status: 'none' });
        else this.dropped('ack-without-dialog');
        return;
      case 'new':
        break;
    }
    const transaction = outcome.transaction;
    // Only dialog-creating and out-of-dialog requests are limited: a BYE must never be refused.
    if (
      info.toTag === undefined &&
      request.method !== 'CANCEL' &&
      !this.#rateLimiter.allow(flow.remoteAddress)
    ) {
      transaction.respond(
        buildResponse(request, 503, { headers: [{ name: 'Retry-After', value: '1' }] }),
      );
      return;
    }
    try {
      if (!this.#handler) throw new Error('no SIP request handler');
      this.#handler.request(transaction);
    } catch (error) {
      this.#log.error({ err: error, method: request.method }, 'SIP request handler failed');
      transaction.respond(buildResponse(request, 500));
    }
  }

  /** A message that failed to parse whole still gets a 400 when its headers can be answered. */
  #salvageBadRequest(data: Buffer, flow: SipFlow): void {
    try {
      const head = parseSipHead(data);
      if (head.kind === 'request' && head.method !== 'ACK' && topViaOf(head) !== undefined) {
        requestInfo(head);
        if (!this.#allowed(flow.remoteAddress)) {
          this.dropped('not-allowed');
          return;
        }
        this.#statelessReply(head, flow, 400);
        return;
      }
    } catch {
      // Not even the headers make sense.
    }
    this.dropped('parse-error');
  }

  #statelessReply(request: SipRequest, flow: SipFlow, status: number, reason?: string): void {
    const response = buildResponse(
      request,
      status,
      reason === undefined ? {} : { reason: sanitizeReason(reason) },
    );
    flow.send(serializeSipMessage(response));
    this.#metrics.sipRequests.inc({ method: metricMethod(request.method), status: String(status) });
  }
}

function sanitizeReason(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 80);
}

const knownMethods = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'UPDATE',
  'INFO',
  'PRACK',
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'PUBLISH',
]);

/** Unknown methods share one label so garbage cannot blow up metric cardinality. */
export function metricMethod(method: string): string {
  return knownMethods.has(method) ? method : 'OTHER';
}
