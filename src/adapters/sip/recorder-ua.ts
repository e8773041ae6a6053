import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { CallSessions } from '../../ports/call-sessions.js';
import type { MediaSessions } from '../rtp/media-sessions.js';
import { metadataFromBody } from './body-metadata.js';
import type { ClientTransactions } from './client-transactions.js';
import { answerArrived, NO_SDP_ANSWER, type AnswerDeps } from './delayed-offer.js';
import type { Dialog, DialogStore } from './dialogs.js';
import { buildInDialogRequest, newTag } from './in-dialog-request.js';
import { acceptInvite, type InviteAcceptorDeps } from './invite-acceptor.js';
import { noteLenient, type LenientCode, type LenientMetrics } from './leniency.js';
import { DialogLiveness } from './dialog-liveness.js';
import { readSessionTimer, sessionTimerHeaders } from './session-timer.js';
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

/** Requests that belong to a dialog, and may be placed in one without their To-tag. */
const inDialogMethods: ReadonlySet<string> = new Set([
  'BYE',
  'INVITE',
  'UPDATE',
  'INFO',
  'OPTIONS',
]);

/**
 * A request placed in its dialog without a To-tag is answered as if it had carried ours, so the
 * SRC sees the dialog's tag in the response (RFC 3261 §12.1.1) and can match it.
 */
function withDialogTag(transaction: ServerTransaction, localTag: string): void {
  const to = transaction.request.headers.find((h) => h.name.toLowerCase() === 'to');
  if (to !== undefined) to.value = `${to.value};tag=${localTag}`;
  transaction.info.toTag = localTag;
}

export interface RecorderUaDeps {
  config: InviteAcceptorDeps['config'] & Pick<Config, 'dialogProbeIntervalMs'>;
  log: Logger;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  dialogs: DialogStore;
  serverTransactions: ServerTransactions;
  clientTransactions: ClientTransactions;
  sender: SipSender;
  metrics: LenientMetrics & InviteAcceptorDeps['metrics'];
  answerWithinMs: number;
}

/**
 * The recorder UAS (RFC 7866 SRS): turns SIPREC INVITEs into calls and follows their dialogs.
 * Every request runs in its own try/catch so one broken call cannot disturb another; whatever
 * fails, the request is still answered (500 at worst).
 */
export class RecorderUa implements SipRequestHandler {
  readonly #deps: RecorderUaDeps;
  readonly #pending = new Set<Promise<void>>();
  readonly #liveness: DialogLiveness;

  constructor(deps: RecorderUaDeps) {
    this.#deps = deps;
    this.#liveness = new DialogLiveness({
      probeIntervalMs: deps.config.dialogProbeIntervalMs,
      now: Date.now,
      send: (dialog, method, headers) => this.sendInDialog(dialog, method, headers),
      end: (dialog, reason, sendBye) => this.#track(this.endDialog(dialog, reason, sendBye)),
    });
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

  ack(request: SipRequest, info: RequestInfo, _flow: SipFlow): boolean {
    const match = this.#deps.serverTransactions.ackReceived(info);
    if (match.kind === 'none') {
      return this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag) !== undefined;
    }
    const invite = match.invite.info;
    const dialog =
      this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag) ??
      this.#deps.dialogs.findByOrigin(invite.callId, invite.fromTag, invite.cseq.seq);
    if (dialog !== undefined) {
      if (match.kind === 'lenient') this.#lenient(dialog, 'ack-cseq-mismatch', request.method);
      if (info.cseqMethodMismatch) this.#lenient(dialog, 'cseq-method-mismatch', request.method);
      if (dialog.awaitingAnswer?.inviteCseq === match.invite.info.cseq.seq)
        this.#track(answerArrived(this.#answerDeps(), dialog, request));
    }
    return true;
  }

  /** The 200 OK to an INVITE was never ACKed within 64*T1: the SBC has lost the dialog. */
  ackTimeout(transaction: ServerTransaction): void {
    const { info } = transaction;
    const dialog =
      info.toTag === undefined
        ? this.#deps.dialogs.findByOrigin(info.callId, info.fromTag, info.cseq.seq)
        : this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag);
    if (dialog === undefined) return;
    const awaited = dialog.awaitingAnswer;
    if (awaited !== null && awaited.inviteCseq === info.cseq.seq) {
      // The offer was in that 2xx: without its ACK the session has no agreed media at all.
      dialog.log.warn(
        { offer: awaited.kind === 'setup' ? 'INVITE' : 're-INVITE' },
        "no ACK (so no SDP answer) for the 200 OK carrying callscribe's offer; ending the session with BYE",
      );
      this.#track(this.endDialog(dialog, NO_SDP_ANSWER, true));
      return;
    }
    // A re-INVITE's lost ACK leaves the session as it was (its offer came from the SRC).
    if (info.toTag !== undefined) return;
    dialog.log.warn('no ACK for the 200 OK; ending the recording');
    this.#track(this.endDialog(dialog, 'ack-timeout', true));
  }

  /** Ends the call and its media; sends BYE when the SBC does not already know. Idempotent. */
  async endDialog(dialog: Dialog, reason: string, sendBye: boolean): Promise<void> {
    if (dialog.state === 'terminated') return;
    this.#deps.dialogs.delete(dialog);
    this.#liveness.stop(dialog);
    // A delayed offer never answered: the core was told nothing, or is told now to drop it.
    const neverStarted = dialog.awaitingAnswer?.kind === 'setup';
    if (dialog.awaitingAnswer !== null) {
      dialog.awaitingAnswer.endedBy = reason;
      dialog.awaitingAnswer.abandon.abort();
    }
    if (sendBye) this.#sendBye(dialog);
    const results = await Promise.allSettled([dialog.handle.end(reason), dialog.media.close()]);
    for (const result of results) {
      if (result.status === 'rejected')
        dialog.log.error({ err: result.reason, reason }, 'call teardown failed');
    }
    if (!neverStarted) dialog.log.info({ reason }, 'recording ended');
  }

  #answerDeps(): AnswerDeps {
    return {
      log: this.#deps.log,
      callSessions: this.#deps.callSessions,
      mediaSessions: this.#deps.mediaSessions,
      onDialogCreated: (d) => this.onDialogCreated(d),
      end: (d, reason, sendBye) => this.#track(this.endDialog(d, reason, sendBye)),
    };
  }

  /**
   * Resolves once every request handled so far has been answered and its work finished (a BYE
   * callscribe sent is not waited for).
   */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Ends every recording with a BYE and waits for in-flight setups (server shutdown). */
  async close(): Promise<void> {
    await this.settled();
    await Promise.allSettled(
      this.#deps.dialogs.all().map((d) => this.endDialog(d, 'shutdown', true)),
    );
    this.#liveness.close();
  }

  onDialogCreated(dialog: Dialog): void {
    this.#liveness.start(dialog, dialog.sessionTimer);
    dialog.media.onMediaTimeout((reason) => {
      dialog.log.warn(
        { reason },
        reason === 'media-timeout'
          ? 'no RTP within the media timeout; ending the recording'
          : 'the media worker holding the call failed; ending the recording',
      );
      this.#track(this.endDialog(dialog, reason, true));
    });
  }

  async #dispatch(transaction: ServerTransaction): Promise<void> {
    const { request, info } = transaction;
    const method = request.method;
    if (method === 'CANCEL') return this.#cancel(transaction);
    if (info.toTag !== undefined) {
      const dialog = this.#deps.dialogs.find(info.callId, info.toTag, info.fromTag);
      if (method === 'OPTIONS') return this.#options(transaction, dialog);
      if (dialog === undefined) return this.#reply(transaction, 481);
      return this.#inDialog(transaction, dialog);
    }
    if (method === 'INVITE') {
      const existing = this.#deps.dialogs.findByOrigin(info.callId, info.fromTag, info.cseq.seq);
      if (existing !== undefined) return this.#resendAnswer(existing, transaction);
    }
    // No To-tag: a request of a dialog the SRC forgot to tag (CUBE's BYE), when exactly one
    // dialog has this Call-ID and From-tag. A recorder never has two recordings of one SRC leg.
    const untagged = this.#deps.dialogs.findByRemote(info.callId, info.fromTag);
    if (untagged !== undefined && inDialogMethods.has(method)) {
      this.#lenient(untagged, 'missing-to-tag', method);
      withDialogTag(transaction, untagged.localTag);
      if (method === 'OPTIONS') return this.#options(transaction, untagged);
      return this.#inDialog(transaction, untagged);
    }
    if (info.cseqMethodMismatch) {
      return this.#reply(transaction, 400, [], 'CSeq method does not match');
    }
    if (method === 'OPTIONS') return this.#options(transaction, undefined);
    if (method === 'INVITE') {
      return acceptInvite(
        {
          ...this.#deps,
          onDialogCreated: (d) => this.onDialogCreated(d),
          lenient: (d, code) => this.#lenient(d, code, method),
        },
        transaction,
      );
    }
    if (method === 'BYE' || method === 'UPDATE' || method === 'INFO' || method === 'PRACK') {
      return this.#reply(transaction, 481);
    }
    return this.#unsupported(transaction);
  }

  #options(transaction: ServerTransaction, dialog: Dialog | undefined): void {
    if (dialog !== undefined) {
      this.#liveness.sipActivity(dialog);
      if (transaction.info.cseq.seq > dialog.remoteCseq)
        dialog.remoteCseq = transaction.info.cseq.seq;
    } else {
      // An SBC's keep-alive probe: an overloaded node says so, and the SBC can pick another
      // recorder before its INVITEs are refused one by one.
      const admission = this.#deps.callSessions.admission();
      if (!admission.admit) {
        return this.#reply(transaction, 503, [
          { name: 'Retry-After', value: String(admission.retryAfterS) },
        ]);
      }
    }
    this.#reply(transaction, 200, capabilityHeaders());
  }

  #inDialog(transaction: ServerTransaction, dialog: Dialog): void {
    const { request, info } = transaction;
    this.#liveness.sipActivity(dialog);
    if (info.cseqMethodMismatch) this.#lenient(dialog, 'cseq-method-mismatch', request.method);
    if (info.cseq.seq < dialog.remoteCseq) {
      // A BYE always ends the session it names: refusing it would leave the recording running.
      if (request.method !== 'BYE') return this.#reply(transaction, 500, [], 'CSeq Out of Order');
      this.#lenient(dialog, 'cseq-out-of-order', request.method);
    } else {
      dialog.remoteCseq = info.cseq.seq;
    }
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
      // Applied one at a time (see #refresh), so a second re-INVITE never overlaps one (no 491).
      case 'INVITE':
      case 'UPDATE':
        return this.#refresh(dialog, transaction);
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

  /** re-INVITE or UPDATE: a session refresh (RFC 4028) as well as a possible new offer. */
  #refresh(dialog: Dialog, transaction: ServerTransaction): void {
    const offer = readSessionTimer(transaction.request, this.#deps.config.sipMinSessionExpiresS);
    if (offer.kind === 'too-small') {
      return this.#reply(transaction, 422, [{ name: 'Min-SE', value: String(offer.minSeS) }]);
    }
    if (offer.kind === 'malformed') {
      this.#lenient(dialog, 'session-expires-malformed', transaction.request.method);
    }
    const timer = offer.kind === 'timer' ? offer.timer : null;
    const apply = async (): Promise<void> => {
      await updateSession(dialog, transaction, sessionTimerHeaders(timer));
      const status = transaction.finalStatus;
      if (status !== undefined && status >= 200 && status < 300) {
        dialog.sessionTimer = timer;
        this.#liveness.refreshed(dialog, timer);
      }
    };
    // Re-offers apply one at a time, in arrival order: most answer at once; one adding m-lines
    // (a conference) waits for its sockets, and the next waits for it.
    const previous = dialog.updating ?? null;
    const updating = (previous === null ? apply() : previous.then(apply))
      .catch((err: unknown) => {
        dialog.log.error({ err }, 're-offer could not be applied');
        if (transaction.finalStatus === undefined) this.#reply(transaction, 500);
      })
      .finally(() => {
        if (dialog.updating === updating) dialog.updating = null;
      });
    dialog.updating = updating;
    this.#track(updating);
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

  /**
   * The BYE goes out at once; its answer, up to 64*T1 later, is only logged, so it is not work
   * `settled()` waits for (the call is over whatever the SRC answers).
   */
  #sendBye(dialog: Dialog): void {
    void this.sendInDialog(dialog, 'BYE').then((status) => {
      if (status === undefined) dialog.log.warn('BYE got no answer');
      else dialog.log.info({ status }, 'BYE answered');
    });
  }

  /**
   * Sends a request in the dialog through a client transaction; resolves its final status, or
   * undefined when none came within 64*T1 (or it could not be sent). Connection-oriented flows
   * are reused while open, and so is any flow when the SRC's Contact could not be read.
   */
  sendInDialog(
    dialog: Dialog,
    method: string,
    headers: SipHeader[] = [],
  ): Promise<number | undefined> {
    try {
      const outgoing = buildInDialogRequest(dialog, method, headers);
      const bytes = serializeSipMessage(outgoing.request);
      const { flow } = dialog;
      const transmit = (data: Buffer): void => {
        if (flow.isOpen() && (flow.transport !== 'udp' || dialog.targetViaFlow)) flow.send(data);
        else this.#deps.sender.send(outgoing.transport, outgoing.address, outgoing.port, data);
      };
      return this.#deps.clientTransactions.send({
        branch: outgoing.branch,
        method,
        transport: flow.isOpen() && flow.transport !== 'udp' ? flow.transport : outgoing.transport,
        bytes,
        transmit,
      });
    } catch (error) {
      dialog.log.error({ err: error, method }, 'in-dialog request could not be sent');
      return Promise.resolve(undefined);
    }
  }

  #lenient(dialog: Dialog, code: LenientCode, method: string): void {
    noteLenient(this.#deps.metrics, dialog, code, method);
  }

  #track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) =>
      this.#deps.log.error({ err: error }, 'SIP background task failed'),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
