import type { Logger } from 'pino';
import type { CallSessions } from '../../ports/call-sessions.js';
import type { MediaSessions } from '../rtp/media-sessions.js';
import { metadataFromBody } from './body-metadata.js';
import type { ClientTransactions } from './client-transactions.js';
import type { Dialog, DialogStore } from './dialogs.js';
import { buildInDialogRequest, newTag } from './in-dialog-request.js';
import { acceptInvite, type InviteAcceptorDeps } from './invite-acceptor.js';
import { applyMetadata, updateSession } from './session-update.js';
import { capabilityHeaders, KNOWN_UNSUPPORTED_METHODS } from './sip-capabilities.js';
import type { SipRequestHandler } from './sip-endpoint.js';
import type { SipFlow, SipSender } from './sip-flow.js';
import {
  headerValue,
  serializeSipMessage,
  type SipHeader,
  type SipRequest,
} from './sip-message.js';
import type { RequestInfo } from './sip-request-info.js';
import { buildResponse } from './sip-response.js';
import type { ServerTransaction, ServerTransactions } from './server-transactions.js';

export interface RecorderUaDeps {
  config: InviteAcceptorDeps['config'];
  log: Logger;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  dialogs: DialogStore;
  serverTransactions: ServerTransactions;
  clientTransactions: ClientTransactions;
  sender: SipSender;
}

/**
 * The recorder UAS (RFC 7866 SRS): turns SIPREC INVITEs into calls and follows their dialogs.
 * Every request runs in its own try/catch so one broken call cannot disturb another; whatever
 * fails, the request is still answered (500 at worst).
 */
export class RecorderUa implements SipRequestHandler {
  readonly #deps: RecorderUaDeps;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: RecorderUaDeps) {
    this.#deps = deps;
  }

  request(transaction: ServerTransaction): void {
    this.#track(
      this.#dispatch(transaction).catch((error: unknown) => {
        this.#deps.log.error(
          { err: error, method: transaction.request.method },
          'SIP request failed',
        );
        transaction.respond(buildResponse(transaction.request, 500));
      }),
    );
  }

  ack(_request: SipRequest, info: RequestInfo, _flow: SipFlow): boolean {
    const stopped = this.#deps.serverTransactions.ackReceived(info.callId, info.cseq.seq);
    return stopped || this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag) !== undefined;
  }

  /** The 200 OK to an INVITE was never ACKed within 64*T1: the SBC has lost the dialog. */
  ackTimeout(transaction: ServerTransaction): void {
    const { info } = transaction;
    const dialog = this.#deps.dialogs.findByOrigin(info.callId, info.fromTag, info.cseq.seq);
    if (dialog === undefined) return;
    dialog.log.warn('no ACK for the 200 OK; ending the recording');
    this.#track(this.endDialog(dialog, 'ack-timeout', true));
  }

  /** Ends the call and its media; sends BYE when the SBC does not already know. Idempotent. */
  async endDialog(dialog: Dialog, reason: string, sendBye: boolean): Promise<void> {
    if (dialog.state === 'terminated') return;
    this.#deps.dialogs.delete(dialog);
    if (sendBye) this.#sendBye(dialog);
    const results = await Promise.allSettled([dialog.handle.end(reason), dialog.media.close()]);
    for (const result of results) {
      if (result.status === 'rejected')
        dialog.log.error({ err: result.reason, reason }, 'call teardown failed');
    }
    dialog.log.info({ reason }, 'recording ended');
  }

  /** Resolves once every request handled so far has been answered and its work finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Ends every recording with a BYE and waits for in-flight setups (server shutdown). */
  async close(): Promise<void> {
    await this.settled();
    await Promise.allSettled(
      this.#deps.dialogs.all().map((d) => this.endDialog(d, 'shutdown', true)),
    );
  }

  onDialogCreated(dialog: Dialog): void {
    dialog.media.onMediaTimeout(() => {
      dialog.log.warn('no RTP within the media timeout; ending the recording');
      this.#track(this.endDialog(dialog, 'media-timeout', true));
    });
  }

  async #dispatch(transaction: ServerTransaction): Promise<void> {
    const { request, info } = transaction;
    const method = request.method;
    if (method === 'CANCEL') return this.#cancel(transaction);
    if (method === 'OPTIONS') return this.#reply(transaction, 200, capabilityHeaders());
    if (info.toTag !== undefined) return this.#inDialog(transaction);
    if (method === 'INVITE') {
      const existing = this.#deps.dialogs.findByOrigin(info.callId, info.fromTag, info.cseq.seq);
      if (existing !== undefined) return this.#resendAnswer(existing, transaction);
      return acceptInvite(
        { ...this.#deps, onDialogCreated: (d) => this.onDialogCreated(d) },
        transaction,
      );
    }
    if (method === 'BYE' || method === 'UPDATE' || method === 'INFO' || method === 'PRACK') {
      return this.#reply(transaction, 481);
    }
    return this.#unsupported(transaction);
  }

  #inDialog(transaction: ServerTransaction): void {
    const { request, info } = transaction;
    const dialog = this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag);
    if (dialog === undefined) return this.#reply(transaction, 481);
    if (info.cseq.seq < dialog.remoteCseq) {
      return this.#reply(transaction, 500, [], 'CSeq Out of Order');
    }
    dialog.remoteCseq = info.cseq.seq;
    switch (request.method) {
      case 'BYE': {
        applyMetadata(
          dialog,
          request,
          metadataFromBody(headerValue(request, 'content-type'), request.body),
        );
        this.#reply(transaction, 200);
        this.#track(this.endDialog(dialog, 'bye', false));
        return;
      }
      // Answered synchronously, so a second re-INVITE can never overlap one in progress (no 491).
      case 'INVITE':
      case 'UPDATE':
        return updateSession(dialog, transaction);
      case 'INFO':
        applyMetadata(
          dialog,
          request,
          metadataFromBody(headerValue(request, 'content-type'), request.body),
        );
        return this.#reply(transaction, 200);
      default:
        return this.#unsupported(transaction);
    }
  }

  /** CANCEL (RFC 3261 §9.2): 200 to it, then 487 to the INVITE if that is still unanswered. */
  #cancel(transaction: ServerTransaction): void {
    const invite = this.#deps.serverTransactions.inviteFor(transaction.info);
    if (invite === undefined) return this.#reply(transaction, 481);
    this.#reply(transaction, 200);
    if (invite.finalStatus === undefined) {
      invite.respond(buildResponse(invite.request, 487, { toTag: newTag() }));
    }
  }

  #resendAnswer(dialog: Dialog, transaction: ServerTransaction): void {
    transaction.respond(
      buildResponse(transaction.request, 200, {
        toTag: dialog.localTag,
        headers: capabilityHeaders(),
        contentType: 'application/sdp',
        body: Buffer.from(dialog.answerSdp),
      }),
    );
  }

  #unsupported(transaction: ServerTransaction): void {
    if (KNOWN_UNSUPPORTED_METHODS.has(transaction.request.method)) {
      return this.#reply(
        transaction,
        405,
        capabilityHeaders().filter((h) => h.name === 'Allow'),
      );
    }
    return this.#reply(transaction, 501);
  }

  #reply(
    transaction: ServerTransaction,
    status: number,
    headers: SipHeader[] = [],
    reason?: string,
  ): void {
    transaction.respond(
      buildResponse(
        transaction.request,
        status,
        reason === undefined ? { headers } : { headers, reason },
      ),
    );
  }

  #sendBye(dialog: Dialog): void {
    try {
      const outgoing = buildInDialogRequest(dialog, 'BYE');
      const bytes = serializeSipMessage(outgoing.request);
      const transport = dialog.flow.transport;
      const transmit = (data: Buffer): void => {
        if (transport === 'tcp' && dialog.flow.isOpen()) dialog.flow.send(data);
        else this.#deps.sender.send(transport, outgoing.address, outgoing.port, data);
      };
      const sent = this.#deps.clientTransactions.send({
        branch: outgoing.branch,
        method: 'BYE',
        transport,
        bytes,
        transmit,
      });
      this.#track(
        sent.then((status) => {
          if (status === undefined) dialog.log.warn('BYE got no answer');
          else dialog.log.info({ status }, 'BYE answered');
        }),
      );
    } catch (error) {
      dialog.log.error({ err: error }, 'BYE could not be sent');
    }
  }

  #track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) =>
      this.#deps.log.error({ err: error }, 'SIP background task failed'),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
