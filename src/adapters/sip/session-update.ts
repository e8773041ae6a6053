import { parseContentType } from '../siprec/content-type.js';
import { buildSdpAnswer } from '../siprec/sdp-answer.js';
import { parseSiprecOffer } from '../siprec/siprec-offer.js';
import { sessionInfoFrom } from '../siprec/siprec-session-info.js';
import { mapChannels } from '../siprec/channel-mapping.js';
import { addedStreamSide } from '../siprec/added-stream-side.js';
import type { RecordingMetadata } from '../siprec/rs-metadata.js';
import { isMetadataType, metadataFromBody } from './body-metadata.js';
import { reoffer } from './delayed-offer.js';
import type { Dialog } from './dialogs.js';
import { applyHeld } from './held-streams.js';
import { withMixInto } from './mixed-streams.js';
import { answerKeysOf, inviteHeaderRecord, silentIndexes } from './invite-acceptor.js';
import { capabilityHeaders } from './sip-capabilities.js';
import { headersForError, statusForError } from './sip-error-status.js';
import { headerValue, type SipHeader, type SipRequest } from './sip-message.js';
import { buildResponse } from './sip-response.js';
import type { ServerTransaction } from './server-transactions.js';

/**
 * Hands new metadata to the call, with the caller's and agent's numbers read by the same
 * mapping rules as at setup (so a placeholder replaced by the real party gives its number).
 * A broken handle must not fail the SIP request.
 */
export function applyMetadata(
  dialog: Dialog,
  request: SipRequest,
  metadata: RecordingMetadata | null,
): void {
  if (metadata === null) return;
  try {
    const offer = { ...dialog.offer, metadata };
    const srtp = dialog.media.srtp;
    const mapped = mapChannels({
      offer,
      ...(dialog.profile === undefined ? {} : { profile: dialog.profile }),
      ...(srtp === undefined ? {} : { srtp }),
    });
    dialog.handle.metadataUpdated(sessionInfoFrom(metadata, inviteHeaderRecord(request)), {
      fromNumber: mapped.fromNumber,
      toNumber: mapped.toNumber,
    });
  } catch (error) {
    dialog.log.warn({ err: error }, 'metadata update was not applied');
  }
}

function answerHeaders(dialog: Dialog) {
  return [{ name: 'Contact', value: `<${dialog.localContact}>` }, ...capabilityHeaders()];
}

/**
 * re-INVITE or UPDATE inside a recording dialog: hold/resume (`a=inactive` ↔ `a=sendonly`),
 * new metadata, or a session refresh with no SDP or the same SDP. A re-INVITE without SDP gets
 * callscribe's offer in the 200 (delayed-offer.ts); an UPDATE without SDP is only a refresh. The answer keeps the ports
 * of the first answer; the SDP version only moves when the answer actually changes
 * (RFC 3264 §8). Added m-lines (a conference adding a party) get ports of their own and are
 * mixed into the channel of the side they belong to; a re-offer with fewer m-lines is refused
 * with 488. Settles once answered; only adding m-lines waits (for their sockets).
 */
export async function updateSession(
  dialog: Dialog,
  transaction: ServerTransaction,
  /** Added to a 2xx (the RFC 4028 Session-Expires the refresh agreed on). */
  okHeaders: SipHeader[] = [],
): Promise<void> {
  const { request } = transaction;
  const log = dialog.log;
  const contentType = headerValue(request, 'content-type');
  const isInvite = request.method === 'INVITE';
  const okWithSdp = (sdp: string): void => {
    transaction.respond(
      buildResponse(request, 200, {
        headers: [...answerHeaders(dialog), ...okHeaders],
        contentType: 'application/sdp',
        body: Buffer.from(sdp),
      }),
    );
  };

  const hasSdp =
    request.body.length > 0 &&
    contentType !== undefined &&
    !isMetadataType(contentType) &&
    (parseContentType(contentType).mediaType === 'application/sdp' ||
      parseContentType(contentType).mediaType.startsWith('multipart/'));
  if (dialog.awaitingAnswer !== null && (hasSdp || isInvite)) {
    // Our offer is still unanswered (RFC 3261 §14.2, RFC 3311 §5.2): the SRC retries later.
    transaction.respond(buildResponse(request, 491));
    return;
  }
  if (!hasSdp) {
    applyMetadata(dialog, request, metadataFromBody(contentType, request.body));
    if (isInvite) {
      // An offerless re-INVITE wants an offer in the 200; the ACK brings the answer.
      const offer = reoffer(dialog);
      dialog.answerSdp = offer.sdp;
      dialog.awaitingAnswer = {
        kind: 'update',
        inviteCseq: transaction.info.cseq.seq,
        invite: request,
        labels: offer.labels,
        abandon: new AbortController(),
        answered: false,
      };
      okWithSdp(offer.sdp);
    } else {
      transaction.respond(
        buildResponse(request, 200, { headers: [...answerHeaders(dialog), ...okHeaders] }),
      );
    }
    return;
  }

  let offer;
  try {
    offer = parseSiprecOffer(contentType ?? '', request.body.toString('utf8'));
  } catch (error) {
    transaction.respond(buildResponse(request, statusForError(error)));
    return;
  }
  if (offer.streams.length < dialog.streamCount) {
    // RFC 3264 §8: m-lines are never removed, only disabled with port 0.
    dialog.log.warn(
      { offered: offer.streams.length, original: dialog.streamCount },
      're-offer removed m-lines',
    );
    transaction.respond(buildResponse(request, 488));
    return;
  }
  if (offer.streams.length > dialog.streamCount) {
    const added = offer.streams.slice(dialog.streamCount);
    let bound = true;
    try {
      await dialog.media.addStreams(added.length);
    } catch (error) {
      bound = false;
      log.warn({ err: error, added: added.length }, 're-offer added streams; no ports for them');
    }
    // A BYE came while the sockets were bound: the session is gone.
    if (dialog.state !== 'confirmed') {
      transaction.respond(buildResponse(request, 487));
      return;
    }
    if (bound) {
      const metadata = offer.metadata ?? dialog.offer.metadata;
      // The call's own streams as mapped at setup: the same rules on the offer they came in.
      const own = mapChannels({
        offer: dialog.offer,
        codecs: dialog.media.codecs,
        ...(dialog.profile === undefined ? {} : { profile: dialog.profile }),
      }).mapping;
      const mixInto = (dialog.mixInto ??= new Map());
      for (const stream of added) {
        const side = addedStreamSide({
          label: stream.label,
          metadata,
          callerLabel: own.callerStreamLabel,
          agentLabel: own.agentStreamLabel,
          ...(dialog.profile === undefined ? {} : { profile: dialog.profile }),
        });
        if (side.mixInto !== null) mixInto.set(stream.index, side.mixInto);
        log.info(
          { index: stream.index, label: stream.label, side: side.side, rule: side.rule },
          're-offer added a stream; it is mixed into its side',
        );
      }
      dialog.streamCount = offer.streams.length;
    } else {
      // The recording of the others must go on: the new m-lines are declined (port 0,
      // RFC 3264 §6) rather than the re-offer refused; a later re-offer tries again.
      offer = {
        ...offer,
        streams: offer.streams.map((stream) =>
          stream.index < dialog.streamCount ? stream : { ...stream, port: 0 },
        ),
      };
    }
  }
  const held = silentIndexes(offer);
  let answer;
  try {
    const options = {
      address: dialog.sdpAddress,
      ports: dialog.media.ports,
      sessionId: dialog.sdpSessionId,
      codecs: dialog.media.codecs,
      ...(dialog.media.srtp === undefined ? {} : { srtp: dialog.media.srtp }),
      answerKeys: dialog.srtpAnswerKeys,
    };
    answer = buildSdpAnswer(offer, { ...options, sessionVersion: dialog.sdpSessionVersion });
    if (answer.sdp !== dialog.answerSdp) {
      answer = buildSdpAnswer(offer, { ...options, sessionVersion: dialog.sdpSessionVersion + 1 });
      dialog.sdpSessionVersion += 1;
    }
  } catch (error) {
    transaction.respond(
      buildResponse(request, statusForError(error), { headers: headersForError(error) }),
    );
    return;
  }
  // Every packet is decoded by its own payload type: a changed codec list (a transfer offering
  // only G.722, say) only changes which decoders the streams may create.
  dialog.media.update(withMixInto(dialog, answer.accepted));
  dialog.acceptedIndexes = new Set([
    ...dialog.acceptedIndexes,
    ...answer.accepted.map((s) => s.index),
  ]);
  applyHeld(dialog, held);
  dialog.answerSdp = answer.sdp;
  dialog.srtpAnswerKeys = answerKeysOf(answer.accepted);
  dialog.offer = { ...offer, metadata: offer.metadata ?? dialog.offer.metadata };
  applyMetadata(dialog, request, offer.metadata);
  okWithSdp(answer.sdp);
}
