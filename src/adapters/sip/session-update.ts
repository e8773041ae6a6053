import { parseContentType } from '../siprec/content-type.js';
import { buildSdpAnswer } from '../siprec/sdp-answer.js';
import { parseSiprecOffer } from '../siprec/siprec-offer.js';
import { sessionInfoFrom } from '../siprec/siprec-session-info.js';
import { mapChannels } from '../siprec/channel-mapping.js';
import type { RecordingMetadata } from '../siprec/rs-metadata.js';
import { isMetadataType, metadataFromBody } from './body-metadata.js';
import { reoffer } from './delayed-offer.js';
import type { Dialog } from './dialogs.js';
import { applyHeld } from './held-streams.js';
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
 * (RFC 3264 §8). Added m-lines (a conference) are declined with port 0; a re-offer with fewer
 * m-lines is refused with 488.
 */
export function updateSession(
  dialog: Dialog,
  transaction: ServerTransaction,
  /** Added to a 2xx (the RFC 4028 Session-Expires the refresh agreed on). */
  okHeaders: SipHeader[] = [],
): void {
  const { request } = transaction;
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
    // A conference adds a party's stream. The call has its two channels already, and a third
    // voice cannot share one of them, so the new m-lines are declined (port 0, RFC 3264 §6)
    // while the recording of the original streams goes on; the metadata still names the party.
    dialog.log.info(
      { offered: offer.streams.length, original: dialog.streamCount },
      're-offer added streams; they are declined and the recording goes on',
    );
    offer = {
      ...offer,
      streams: offer.streams.map((stream) =>
        stream.index < dialog.streamCount ? stream : { ...stream, port: 0 },
      ),
    };
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
  dialog.media.update(answer.accepted);
  applyHeld(dialog, held);
  dialog.answerSdp = answer.sdp;
  dialog.srtpAnswerKeys = answerKeysOf(answer.accepted);
  dialog.offer = { ...offer, metadata: offer.metadata ?? dialog.offer.metadata };
  applyMetadata(dialog, request, offer.metadata);
  okWithSdp(answer.sdp);
}
