import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { SipFlow } from './sip-flow.js';
import { serializeSipMessage, type SipRequest, type SipResponse } from './sip-message.js';
import type { RequestInfo } from './sip-request-info.js';
import { buildResponse } from './sip-response.js';
import { transactionTimeoutMs, type SipTimers } from './sip-timers.js';

const MAGIC_COOKIE = 'z9hG4bK';

export type ServerTransactionState = 'proceeding' | 'completed' | 'accepted' | 'terminated';

/**
 * A UAS transaction (RFC 3261 §17.2, with RFC 6026's Accepted state). It remembers the last
 * response so retransmitted requests are answered again without reaching the UA.
 */
export class ServerTransaction {
  readonly key: string;
  readonly request: SipRequest;
  readonly info: RequestInfo;
  readonly flow: SipFlow;
  /** When the request was read (monotonic ms): the SBC's timers started no later than this. */
  readonly receivedAtMs = performance.now();
  /** Made on first use: most transactions (BYE, OPTIONS) are answered at once and never need it. */
  #final: AbortController | undefined;
  #state: ServerTransactionState = 'proceeding';
  #lastResponse: Buffer | undefined;
  #finalStatus: number | undefined;
  readonly #owner: ServerTransactions;

  constructor(
    owner: ServerTransactions,
    key: string,
    request: SipRequest,
    info: RequestInfo,
    flow: SipFlow,
  ) {
    this.#owner = owner;
    this.key = key;
    this.request = request;
    this.info = info;
    this.flow = flow;
  }

  get state(): ServerTransactionState {
    return this.#state;
  }

  get finalStatus(): number | undefined {
    return this.#finalStatus;
  }

  /** Aborted when the final response goes out, whoever sent it (a CANCEL's 487, a late 503). */
  get finalResponseSent(): AbortSignal {
    if (this.#final === undefined) {
      this.#final = new AbortController();
      if (this.#finalStatus !== undefined) this.#final.abort();
    }
    return this.#final.signal;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** Sends a response; anything after the final one is ignored (returns false). */
  respond(response: SipResponse): boolean {
    if (this.#finalStatus !== undefined || this.#state === 'terminated') return false;
    const bytes = serializeSipMessage(response);
    this.#lastResponse = bytes;
    this.flow.send(bytes);
    if (response.status >= 200) {
      this.#finalStatus = response.status;
      this.#state = this.isInvite && response.status < 300 ? 'accepted' : 'completed';
      this.#owner.finalSent(this, bytes);
      this.#final?.abort();
    }
    return true;
  }

  /** Answers a retransmission on the flow it came in on (a TCP peer may have reconnected). */
  resendLast(flow: SipFlow): void {
    if (this.#lastResponse !== undefined) flow.send(this.#lastResponse);
  }

  terminate(): void {
    this.#state = 'terminated';
  }
}

export type ReceiveOutcome =
  | { kind: 'new'; transaction: ServerTransaction }
  /** A retransmission: the last response (if any) was sent again. */
  | { kind: 'retransmission' }
  /** ACK for a non-2xx final response: ends that transaction, nothing else to do. */
  | { kind: 'ack-absorbed' }
  /** ACK for a 2xx: a transaction of its own (RFC 3261 §17.1.1.3), for the dialog layer. */
  | { kind: 'ack' };

export type AckMatch =
  { kind: 'matched' | 'lenient'; invite: ServerTransaction } | { kind: 'none' };

interface AckWait {
  transaction: ServerTransaction;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The server transaction table. INVITEs get 100 Trying at once; final responses to INVITE are
 * retransmitted over UDP (T1 doubling up to T2) until the ACK arrives or 64*T1 passes; non-INVITE
 * responses are cached for 64*T1 to answer retransmissions. A 2xx never ACKed within 64*T1 is
 * reported through `onAckTimeout`, and the UA ends the call with a BYE (RFC 3261 §13.3.1.4).
 */
export class ServerTransactions {
  readonly #timers: SipTimers;
  readonly #log: Logger;
  readonly #onAckTimeout: (transaction: ServerTransaction) => void;
  readonly #onFinalResponse: (transaction: ServerTransaction, status: number) => void;
  readonly #table = new Map<string, ServerTransaction>();
  readonly #cleanup = new Map<string, NodeJS.Timeout>();
  readonly #retransmits = new Map<string, NodeJS.Timeout>();
  /** 2xx responses to INVITE waiting for their ACK, by Call-ID. */
  readonly #ackWaits = new Map<string, AckWait[]>();

  constructor(options: {
    timers: SipTimers;
    log: Logger;
    onAckTimeout: (transaction: ServerTransaction) => void;
    /** Once per transaction, when its final response goes out (metrics). */
    onFinalResponse: (transaction: ServerTransaction, status: number) => void;
  }) {
    this.#timers = options.timers;
    this.#log = options.log;
    this.#onAckTimeout = options.onAckTimeout;
    this.#onFinalResponse = options.onFinalResponse;
  }

  get size(): number {
    return this.#table.size;
  }

  receive(request: SipRequest, info: RequestInfo, flow: SipFlow): ReceiveOutcome {
    const matchMethod = request.method === 'ACK' ? 'INVITE' : request.method;
    const key = transactionKey(info, matchMethod);
    const existing = this.#table.get(key);
    if (request.method === 'ACK') {
      if (existing && existing.finalStatus !== undefined && existing.finalStatus >= 300) {
        this.#stopRetransmit(key);
        existing.terminate();
        return { kind: 'ack-absorbed' };
      }
      return { kind: 'ack' };
    }
    if (existing) {
      existing.resendLast(flow);
      return { kind: 'retransmission' };
    }
    const transaction = new ServerTransaction(this, key, request, info, flow);
    this.#table.set(key, transaction);
    if (request.method === 'INVITE') transaction.respond(buildResponse(request, 100));
    return { kind: 'new', transaction };
  }

  /** The INVITE transaction a CANCEL targets: same branch and sent-by (RFC 3261 §9.2). */
  inviteFor(info: RequestInfo): ServerTransaction | undefined {
    return this.#table.get(transactionKey(info, 'INVITE'));
  }

  /**
   * Stops 2xx retransmission for the INVITE an ACK acknowledges. Matched by Call-ID, From-tag
   * and CSeq number as RFC 3261 says; failing that (`lenient`), by the INVITE's branch reused in
   * the ACK, or by being the only 2xx of that Call-ID and From-tag still waiting, whatever the
   * ACK's CSeq says. `none` when no 2xx waits for it.
   */
  ackReceived(info: RequestInfo): AckMatch {
    const waits = (this.#ackWaits.get(info.callId) ?? []).filter(
      (w) => w.transaction.info.fromTag === info.fromTag,
    );
    const exact = waits.find((w) => w.transaction.info.cseq.seq === info.cseq.seq);
    const loose =
      exact ??
      waits.find(
        (w) =>
          info.topVia.branch !== undefined &&
          w.transaction.info.topVia.branch === info.topVia.branch,
      ) ??
      (waits.length === 1 ? waits[0] : undefined);
    if (loose === undefined) return { kind: 'none' };
    clearTimeout(loose.timer);
    this.#forgetAckWait(loose);
    this.#stopRetransmit(loose.transaction.key);
    return { kind: exact === undefined ? 'lenient' : 'matched', invite: loose.transaction };
  }

  /** Called by a transaction when its final response went out. */
  finalSent(transaction: ServerTransaction, bytes: Buffer): void {
    this.#onFinalResponse(transaction, transaction.finalStatus ?? 0);
    const lifetimeMs = transactionTimeoutMs(this.#timers);
    if (transaction.isInvite && transaction.flow.transport === 'udp') {
      this.#startRetransmit(transaction, bytes);
    }
    if (
      transaction.isInvite &&
      transaction.finalStatus !== undefined &&
      transaction.finalStatus < 300
    ) {
      const wait: AckWait = { transaction, timer: undefined };
      wait.timer = setTimeout(() => {
        this.#forgetAckWait(wait);
        this.#stopRetransmit(transaction.key);
        try {
          this.#onAckTimeout(transaction);
        } catch (error) {
          this.#log.error({ err: error }, 'ACK timeout handler failed');
        }
      }, lifetimeMs);
      wait.timer.unref();
      const callWaits = this.#ackWaits.get(transaction.info.callId);
      if (callWaits === undefined) this.#ackWaits.set(transaction.info.callId, [wait]);
      else callWaits.push(wait);
    }
    const cleanup = setTimeout(() => {
      this.#cleanup.delete(transaction.key);
      this.#stopRetransmit(transaction.key);
      transaction.terminate();
      if (this.#table.get(transaction.key) === transaction) this.#table.delete(transaction.key);
    }, lifetimeMs);
    cleanup.unref();
    this.#cleanup.set(transaction.key, cleanup);
  }

  close(): void {
    for (const timer of this.#cleanup.values()) clearTimeout(timer);
    for (const timer of this.#retransmits.values()) clearTimeout(timer);
    for (const waits of this.#ackWaits.values()) for (const w of waits) clearTimeout(w.timer);
    this.#cleanup.clear();
    this.#retransmits.clear();
    this.#ackWaits.clear();
    this.#table.clear();
  }

  #startRetransmit(transaction: ServerTransaction, bytes: Buffer): void {
    let intervalMs = this.#timers.t1Ms;
    const tick = (): void => {
      if (!transaction.flow.isOpen() || transaction.state === 'terminated') {
        this.#retransmits.delete(transaction.key);
        return;
      }
      transaction.flow.send(bytes);
      intervalMs = Math.min(intervalMs * 2, this.#timers.t2Ms);
      const next = setTimeout(tick, intervalMs);
      next.unref();
      this.#retransmits.set(transaction.key, next);
    };
    const first = setTimeout(tick, intervalMs);
    first.unref();
    this.#retransmits.set(transaction.key, first);
  }

  #forgetAckWait(wait: AckWait): void {
    const callId = wait.transaction.info.callId;
    const rest = (this.#ackWaits.get(callId) ?? []).filter((w) => w !== wait);
    if (rest.length === 0) this.#ackWaits.delete(callId);
    else this.#ackWaits.set(callId, rest);
  }

  #stopRetransmit(key: string): void {
    const timer = this.#retransmits.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.#retransmits.delete(key);
  }
}

/**
 * RFC 3261 §17.2.3: branch + sent-by + method for RFC 3261 peers; for older peers without the
 * magic cookie, the identifying fields of the request itself.
 */
function transactionKey(info: RequestInfo, method: string): string {
  const branch = info.topVia.branch;
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) {
    return `${branch}|${info.topVia.sentBy.toLowerCase()}|${method}`;
  }
  return ['2543', info.callId, info.cseq.seq, info.fromTag ?? '', info.topVia.sentBy, method].join(
    '|',
  );
}
