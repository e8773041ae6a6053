import type { AnswerKey } from '../siprec/sdp-answer.js';
import type { Logger } from 'pino';
import type { LiveCallHandle } from '../../ports/call-sessions.js';
import type { MediaSession } from '../rtp/media-sessions.js';
import type { LenientCode, LenientSubject } from './leniency.js';
import type { SessionTimer } from './session-timer.js';
import type { SbcProfile } from '../../config/schema.js';
import type { SiprecOffer } from '../siprec/siprec-offer.js';
import type { SipFlow } from './sip-flow.js';
import type { SipRequest } from './sip-message.js';

/**
 * A recording dialog as the UAS sees it (RFC 3261 §12.1.1): created when the 200 OK to the
 * INVITE is sent, identified by Call-ID + our To-tag + the SBC's From-tag.
 */
export interface Dialog extends LenientSubject {
  readonly sipCallId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** The callId the core knows the call by (after `callIdSource`, before any hook rename). */
  readonly callId: string;
  /** The To header we answered with (our tag included): the From of requests we send. */
  readonly localHeader: string;
  /** The SBC's From header: the To of requests we send. */
  readonly remoteHeader: string;
  /** The SBC's Contact URI, where in-dialog requests go. */
  readonly remoteTarget: string;
  /** Record-Route of the INVITE, in order (RFC 3261 §12.1.1): our Route for requests we send. */
  readonly routeSet: readonly string[];
  /**
   * Contact or Record-Route could not be read: requests we send go back over the flow the
   * INVITE came on (its TCP connection, or its source address) instead of to the target.
   */
  readonly targetViaFlow: boolean;
  readonly flow: SipFlow;
  /** Our address as put in Contact (and in the Via of requests we send). */
  readonly localAddress: string;
  /** Our Contact URI, the same in every answer of the dialog. */
  readonly localContact: string;
  /** Our address in the SDP c= line. */
  readonly sdpAddress: string;
  readonly inviteCseq: number;
  readonly log: Logger;
  readonly lenientSeen: Set<LenientCode>;
  remoteCseq: number;
  localCseq: number;
  state: 'confirmed' | 'terminated';
  /** A discarding handle when the core refused the call but the INVITE was still answered 200. */
  handle: LiveCallHandle;
  media: MediaSession;
  /** The m-line count so far (a conference's re-offer appends m-lines); re-offers must keep it. */
  streamCount: number;
  /** m-lines a re-offer added (a conference): the label of the own stream each is mixed into. */
  mixInto?: Map<number, string>;
  /** The re-INVITE or UPDATE being applied; the next one waits for it. */
  updating?: Promise<void> | null;
  /** m-line indexes answered with a port (PCMU/PCMA audio); the others were declined. */
  acceptedIndexes: ReadonlySet<number>;
  sdpSessionId: string;
  sdpSessionVersion: number;
  /** Holds our SRTP keys (a=crypto); never logged, never stored outside memory. */
  answerSdp: string;
  /** Our `a=crypto` per m-line index, so an unchanged re-offer gets the same answer. */
  srtpAnswerKeys: Map<number, AnswerKey>;
  heldIndexes: Set<number>;
  /** The last offer accepted (streams as answered), read again when metadata names new parties. */
  offer: SiprecOffer;
  /** The `sbcProfiles` entry that matched the SRC at setup. */
  readonly profile: SbcProfile | undefined;
  /** The RFC 4028 timer the INVITE negotiated; later re-INVITEs and UPDATEs may change it. */
  sessionTimer: SessionTimer | null;
  /** Our offer went out in a 2xx (the INVITE had none): the ACK must bring the answer. */
  awaitingAnswer: AwaitedAnswer | null;
}

/**
 * A delayed offer in flight (RFC 3261 §13.2.1): callscribe offered in the 2xx to an offerless
 * INVITE (`setup`, the call is not started yet) or re-INVITE (`update`, the call goes on).
 */
export interface AwaitedAnswer {
  kind: 'setup' | 'update';
  /** CSeq of that INVITE; its ACK carries the answer. */
  inviteCseq: number;
  /** The offerless INVITE, whose headers the call is created from once answered. */
  invite: SipRequest;
  /** The `a=label` of each offered line (null: none), kept when the answer omits them. */
  labels: readonly (string | null)[];
  /** Aborted when the dialog ends first, so the core stores nothing of a call set up late. */
  abandon: AbortController;
  /** The ACK came; what it carried is being applied. */
  answered: boolean;
  /** Why the dialog ended while the call was still being set up. */
  endedBy?: string;
}

export function dialogKey(sipCallId: string, localTag: string, remoteTag: string): string {
  return `${sipCallId}\u0000${localTag}\u0000${remoteTag}`;
}

/**
 * Live dialogs by id, by INVITE origin (so a late INVITE retransmission finds its dialog), and
 * by Call-ID + the SBC's From-tag (for requests that arrive without our To-tag).
 */
export class DialogStore {
  readonly #byKey = new Map<string, Dialog>();
  readonly #byOrigin = new Map<string, Dialog>();
  readonly #byRemote = new Map<string, Set<Dialog>>();

  get size(): number {
    return this.#byKey.size;
  }

  add(dialog: Dialog): void {
    this.#byKey.set(dialogKey(dialog.sipCallId, dialog.localTag, dialog.remoteTag), dialog);
    this.#byOrigin.set(originKey(dialog.sipCallId, dialog.remoteTag, dialog.inviteCseq), dialog);
    const remote = remoteKey(dialog.sipCallId, dialog.remoteTag);
    let set = this.#byRemote.get(remote);
    if (set === undefined) this.#byRemote.set(remote, (set = new Set()));
    set.add(dialog);
  }

  find(
    sipCallId: string,
    localTag: string | undefined,
    remoteTag: string | undefined,
  ): Dialog | undefined {
    if (localTag === undefined) return undefined;
    return this.#byKey.get(dialogKey(sipCallId, localTag, remoteTag ?? ''));
  }

  /**
   * The one live dialog with this Call-ID and From-tag, for a request that lost its To-tag;
   * undefined when none or several match (then the request cannot be placed and gets 481).
   */
  findByRemote(sipCallId: string, remoteTag: string | undefined): Dialog | undefined {
    const set = this.#byRemote.get(remoteKey(sipCallId, remoteTag ?? ''));
    if (set === undefined || set.size !== 1) return undefined;
    return set.values().next().value;
  }

  /** The dialog an initial INVITE (no To-tag) already created, when it is retransmitted late. */
  findByOrigin(sipCallId: string, remoteTag: string | undefined, cseq: number): Dialog | undefined {
    return this.#byOrigin.get(originKey(sipCallId, remoteTag ?? '', cseq));
  }

  delete(dialog: Dialog): void {
    dialog.state = 'terminated';
    this.#byKey.delete(dialogKey(dialog.sipCallId, dialog.localTag, dialog.remoteTag));
    this.#byOrigin.delete(originKey(dialog.sipCallId, dialog.remoteTag, dialog.inviteCseq));
    const remote = remoteKey(dialog.sipCallId, dialog.remoteTag);
    const set = this.#byRemote.get(remote);
    set?.delete(dialog);
    if (set?.size === 0) this.#byRemote.delete(remote);
  }

  all(): Dialog[] {
    return [...this.#byKey.values()];
  }
}

function originKey(sipCallId: string, remoteTag: string, cseq: number): string {
  return `${sipCallId}\u0000${remoteTag}\u0000${cseq}`;
}

function remoteKey(sipCallId: string, remoteTag: string): string {
  return `${sipCallId}\u0000${remoteTag}`;
}
