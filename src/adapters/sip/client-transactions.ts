import type { Logger } from 'pino';
import { parseCSeq } from './sip-header-values.js';
import { headerList, headerValue, type SipResponse } from './sip-message.js';
import { parseVia } from './sip-header-values.js';
import type { SipTransportKind } from './sip-flow.js';
import { transactionTimeoutMs, type SipTimers } from './sip-timers.js';

interface Pending {
  method: string;
  resolve: (status: number | undefined) => void;
  retransmit: NodeJS.Timeout | undefined;
  timeout: NodeJS.Timeout;
}

/**
 * Non-INVITE client transactions (RFC 3261 §17.1.2), used for the BYEs the recorder sends:
 * retransmitted over UDP (T1 doubling to T2) until a final response, given up after 64*T1.
 */
export class ClientTransactions {
  readonly #timers: SipTimers;
  readonly #log: Logger;
  readonly #pending = new Map<string, Pending>();

  constructor(options: { timers: SipTimers; log: Logger }) {
    this.#timers = options.timers;
    this.#log = options.log;
  }

  /** Sends `bytes` (a request with Via branch `branch`); resolves the final status, undefined on timeout. */
  send(options: {
    branch: string;
    method: string;
    transport: SipTransportKind;
    bytes: Buffer;
    transmit: (bytes: Buffer) => void;
  }): Promise<number | undefined> {
    return new Promise((resolve) => {
      const key = `${options.branch}|${options.method}`;
      const finish = (status: number | undefined): void => {
        const pending = this.#pending.get(key);
        if (!pending) return;
        this.#pending.delete(key);
        clearTimeout(pending.timeout);
        if (pending.retransmit !== undefined) clearTimeout(pending.retransmit);
        resolve(status);
      };
      const timeout = setTimeout(() => finish(undefined), transactionTimeoutMs(this.#timers));
      timeout.unref();
      const pending: Pending = {
        method: options.method,
        resolve: finish,
        retransmit: undefined,
        timeout,
      };
      this.#pending.set(key, pending);
      if (options.transport === 'udp') {
        let intervalMs = this.#timers.t1Ms;
        const tick = (): void => {
          if (!this.#pending.has(key)) return;
          options.transmit(options.bytes);
          intervalMs = Math.min(intervalMs * 2, this.#timers.t2Ms);
          pending.retransmit = setTimeout(tick, intervalMs);
          pending.retransmit.unref();
        };
        pending.retransmit = setTimeout(tick, intervalMs);
        pending.retransmit.unref();
      }
      try {
        options.transmit(options.bytes);
      } catch (error) {
        this.#log.warn({ err: error }, 'SIP request could not be sent');
        finish(undefined);
      }
    });
  }

  /** Matches a response to its transaction; false when it belongs to none (a stray response). */
  receive(response: SipResponse): boolean {
    const via = headerList(response, 'via')[0];
    const cseq = headerValue(response, 'cseq');
    if (via === undefined || cseq === undefined) return false;
    let key: string;
    try {
      key = `${parseVia(via).branch ?? ''}|${parseCSeq(cseq).method}`;
    } catch {
      return false;
    }
    const pending = this.#pending.get(key);
    if (!pending) return false;
    if (response.status >= 200) pending.resolve(response.status);
    return true;
  }

  close(): void {
    for (const pending of [...this.#pending.values()]) pending.resolve(undefined);
  }
}
