import { parse } from 'sdp-transform';
import type { Logger } from 'pino';
import { isAppError } from '../../domain/errors.js';
import type { CallSessions } from '../../ports/call-sessions.js';
import { readRemoteAnswer } from '../siprec/remote-answer.js';
import { buildSdpAnswer, type AnsweredStream } from '../siprec/sdp-answer.js';
import { buildSdpOffer } from '../siprec/sdp-offer.js';
import type { SiprecOffer } from '../siprec/siprec-offer.js';
import { withMixInto } from './mixed-streams.js';
import type { Dialog } from './dialogs.js';
import { discardingCallHandle } from './discarding-call-handle.js';
import { newSessionFor, silentIndexes, type InviteAcceptorDeps } from './invite-acceptor.js';
import { applyHeld } from './held-streams.js';
import { isOverloadCode } from './sip-error-status.js';
import { headerValue, type SipRequest } from './sip-message.js';

/** Why a session whose offer was never answered ended (the call end reason, when it had started). */
export const NO_SDP_ANSWER = 'no-sdp-answer';

export interface AnswerDeps {
  log: Logger;
  callSessions: CallSessions;
  mediaSessions: InviteAcceptorDeps['mediaSessions'];
  /** Starts liveness and media timeout once the call is set up. */
  onDialogCreated(dialog: Dialog): void;
  /** Ends the dialog (and its call, if any) and sends BYE when asked. */
  end(dialog: Dialog, reason: string, sendBye: boolean): void;
}

/**
 * The ACK to a 2xx that carried callscribe's offer: its SDP answer says what the SRC will send.
 * For an offerless INVITE the call is created now (hook, START); for an offerless re-INVITE the
 * streams take the new codecs and hold state. No answer, or one that accepts nothing callscribe
 * offered, ends the session with a BYE: RFC 3261 §13.2.1 makes the answer mandatory, and a
 * session without agreed media would record nothing while looking alive.
 */
export async function answerArrived(
  deps: AnswerDeps,
  dialog: Dialog,
  ack: SipRequest,
): Promise<void> {
  const awaited = dialog.awaitingAnswer;
  if (awaited === null || awaited.answered || dialog.state === 'terminated') return;
  awaited.answered = true;
  let described: SiprecOffer;
  let accepted: AnsweredStream[];
  try {
    described = relabelled(
      readRemoteAnswer(headerValue(ack, 'content-type'), ack.body, dialog.streamCount),
      awaited.labels,
      dialog.offer,
    );
    accepted = buildSdpAnswer(described, {
      address: dialog.sdpAddress,
      ports: dialog.media.ports,
      sessionId: dialog.sdpSessionId,
      sessionVersion: dialog.sdpSessionVersion,
      codecs: dialog.media.codecs,
      ...(dialog.media.srtp === undefined ? {} : { srtp: dialog.media.srtp }),
    }).accepted;
  } catch (error) {
    dialog.log.warn(
      {
        code: isAppError(error) ? error.code : undefined,
        reason: error instanceof Error ? error.message : undefined,
        offer: awaited.kind === 'setup' ? 'INVITE' : 're-INVITE',
      },
      "the ACK brought no usable SDP answer to callscribe's offer; ending the session with BYE",
    );
    deps.end(dialog, NO_SDP_ANSWER, true);
    return;
  }
  if (awaited.kind === 'update') {
    dialog.media.update(withMixInto(dialog, accepted));
    const held = silentIndexes(described);
    // A line the answer declines (port 0) carries nothing from now on, like a held one.
    for (const index of dialog.acceptedIndexes)
      if (!accepted.some((s) => s.index === index)) held.add(index);
    applyHeld(dialog, held);
    dialog.offer = { ...described, metadata: described.metadata ?? dialog.offer.metadata };
    dialog.awaitingAnswer = null;
    return;
  }

  const session = newSessionFor(deps, awaited.invite, dialog.flow, {
    offer: described,
    accepted,
    callId: dialog.callId,
    profile: dialog.profile,
  });
  dialog.log.info(
    { streams: described.streams.length, accepted: accepted.length },
    'SDP answer in the ACK accepted',
  );
  const decision = await deps.callSessions.sessionStarted(session, {
    abandoned: awaited.abandon.signal,
  });
  // The state may have changed during the await; TypeScript still sees the earlier check.
  if ((dialog.state as Dialog['state']) === 'terminated') {
    // A BYE (or shutdown) came while the core set the call up: it ends as that said.
    if (decision.accepted) await decision.handle.end(awaited.endedBy ?? 'bye');
    return;
  }
  if (!decision.accepted) {
    dialog.log.warn({ code: decision.code, reason: decision.reason }, 'core refused the recording');
    if (isOverloadCode(decision.code)) {
      deps.end(dialog, 'overloaded', true);
      return;
    }
  }
  const handle = decision.accepted ? decision.handle : discardingCallHandle(dialog.callId);
  dialog.handle = handle;
  dialog.offer = described;
  dialog.acceptedIndexes = new Set(accepted.map((s) => s.index));
  dialog.media.attach(accepted, handle);
  applyHeld(dialog, silentIndexes(described));
  dialog.awaitingAnswer = null;
  deps.onDialogCreated(dialog);
  handle
    .answered()
    .catch((err: unknown) => dialog.log.error({ err }, 'call could not be announced'));
}

/**
 * The SRC's answer need not repeat `a=label`: lines keep the labels callscribe offered (from
 * metadata, or those of the session so far), so channels and metadata still find their streams.
 */
function relabelled(
  answer: SiprecOffer,
  labels: readonly (string | null)[],
  before: SiprecOffer,
): SiprecOffer {
  return {
    ...answer,
    metadataXml: answer.metadataXml ?? before.metadataXml,
    metadata: answer.metadata ?? before.metadata,
    isSiprec: answer.isSiprec || before.isSiprec,
    streams: answer.streams.map((stream) => {
      const label = labels[stream.index];
      return label === null || label === undefined ? stream : { ...stream, label };
    }),
  };
}

/**
 * callscribe's offer for an offerless re-INVITE (RFC 3264 §8): the session's m-lines in order,
 * recorded ones on their ports with every decodable codec, declined ones at port 0. Returns the
 * SDP and the labels its lines carry.
 */
export function reoffer(dialog: Dialog): { sdp: string; labels: (string | null)[] } {
  const sentLabels = labelsSent(dialog.offer.sdp);
  const metadataLabels = new Set((dialog.offer.metadata?.streams ?? []).map((s) => s.label));
  const lines = Array.from({ length: dialog.streamCount }, (_, index) => {
    const stream = dialog.offer.streams[index];
    const label =
      sentLabels[index] ??
      (stream !== undefined && metadataLabels.has(stream.label) ? stream.label : null);
    const port = dialog.acceptedIndexes.has(index) ? (dialog.media.ports[index] ?? 0) : 0;
    return { port, label, mediaType: stream?.mediaType ?? 'audio' };
  });
  dialog.sdpSessionVersion += 1;
  const sdp = buildSdpOffer({
    address: dialog.sdpAddress,
    lines,
    sessionId: dialog.sdpSessionId,
    sessionVersion: dialog.sdpSessionVersion,
    codecs: dialog.media.codecs,
    ...(dialog.media.srtp === undefined ? {} : { srtp: dialog.media.srtp }),
  });
  return { sdp, labels: lines.map((l) => l.label) };
}

function labelsSent(sdp: string): (string | null)[] {
  try {
    const media = parse(sdp).media;
    return Array.isArray(media)
      ? media.map((m) => (m.label === undefined ? null : String(m.label)))
      : [];
  } catch {
    return [];
  }
}
