import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config, SbcProfile } from '../../config/schema.js';
import { isAppError } from '../../domain/errors.js';
import type { CallSiprecInfo } from '../../domain/call.js';
import type { Metrics } from '../../observability/metrics.js';
import type { CallSessions, LiveCallHandle, NewSession } from '../../ports/call-sessions.js';
import type { MediaSession, MediaSessions } from '../rtp/media-sessions.js';
import { buildSdpAnswer, type AnswerKey, type AnsweredStream } from '../siprec/sdp-answer.js';
import { buildSdpOffer } from '../siprec/sdp-offer.js';
import type { RecordingMetadata } from '../siprec/rs-metadata.js';
import { isSilentStream, parseSiprecOffer, type SiprecOffer } from '../siprec/siprec-offer.js';
import { mapChannels } from '../siprec/channel-mapping.js';
import { sessionInfoFrom } from '../siprec/siprec-session-info.js';
import { chooseCallId } from './call-id-source.js';
import { readCucmBib, recordedLegOf, withCucmBib } from './cucm-bib.js';
import type { Dialog, DialogStore } from './dialogs.js';
import { heldChannels } from './held-streams.js';
import { offerlessBody } from './offerless-body.js';
import { discardingCallHandle } from './discarding-call-handle.js';
import { newTag } from './in-dialog-request.js';
import { advertisedAddress, uriHost } from './local-address.js';
import type { LenientCode } from './leniency.js';
import { localContactUri } from './local-contact.js';
import { matchSbcProfile } from './sbc-profile-match.js';
import { readSessionTimer, sessionTimerHeaders } from './session-timer.js';
import { capabilityHeaders, SUPPORTED_OPTION_TAGS } from './sip-capabilities.js';
import { headersForError, isOverloadCode, statusForError } from './sip-error-status.js';
import { parseNameAddr, parseSipUri } from './sip-header-values.js';
import type { SipFlow } from './sip-flow.js';
import { headerList, headerValue, type SipRequest } from './sip-message.js';
import { buildResponse } from './sip-response.js';
import type { ServerTransaction } from './server-transactions.js';

export interface InviteAcceptorDeps {
  config: Pick<
    Config,
    'callIdSource' | 'sbcProfiles' | 'sipAdvertisedAddress' | 'rtpHost' | 'sipMinSessionExpiresS'
  >;
  log: Logger;
  metrics: Pick<Metrics, 'admissionRefused' | 'lateAnswers'>;
  callSessions: CallSessions;
  mediaSessions: MediaSessions;
  dialogs: DialogStore;
  /**
   * From the INVITE's receipt, how long a 200 OK may still go out: the SBC's INVITE transaction
   * (Timer B, 64×T1) less a guard for the time the INVITE spent on the wire and in the socket.
   */
  answerWithinMs: number;
  /** Wires media timeout to the UA's teardown once the dialog exists. */
  onDialogCreated(dialog: Dialog): void;
  /** A header the recorder can do without was broken; the INVITE is still accepted. */
  lenient(
    dialog: Dialog,
    code: 'contact-malformed' | 'record-route-malformed' | 'session-expires-malformed',
  ): void;
}

/**
 * Streams the SRC is not sending on: held (`a=inactive`, or RFC 2543's `c=IN IP4 0.0.0.0`), or
 * offered inactive as Oracle does for spares.
 */
export function silentIndexes(offer: SiprecOffer): Set<number> {
  return new Set(offer.streams.filter((s) => isSilentStream(s)).map((s) => s.index));
}

/** LCA's `inviteHeaders`: lower-case names, repeated lines joined as one list. */
export function inviteHeaderRecord(request: SipRequest): Record<string, string> {
  const record: Record<string, string> = {};
  for (const header of request.headers) {
    const name = header.name.toLowerCase();
    record[name] = record[name] === undefined ? header.value : `${record[name]}, ${header.value}`;
  }
  return record;
}

function sdpAddressFor(contactAddress: string, config: InviteAcceptorDeps['config']): string {
  if (config.sipAdvertisedAddress) return config.sipAdvertisedAddress;
  const rtpHost = config.rtpHost;
  return rtpHost === '0.0.0.0' || rtpHost === '::' || rtpHost === '' ? contactAddress : rtpHost;
}

/**
 * A new recording INVITE, from checks to 200 OK. The transaction already sent 100 Trying, so
 * the SBC waits quietly while the call-init hook runs. A CANCEL meanwhile answers the INVITE
 * 487, and so does the answer deadline with a 503: the SBC has given the transaction up by then,
 * and a 200 OK now would make a call it no longer wants. Every step after an await checks for a
 * final response already sent and releases what it holds; the core is told through
 * `abandoned`, so it stores nothing it has not stored yet.
 */
export async function acceptInvite(
  deps: InviteAcceptorDeps,
  transaction: ServerTransaction,
): Promise<void> {
  const log = deps.log.child({ sipCallId: transaction.info.callId });
  const localTag = newTag();
  const reply = replier(transaction, localTag);
  const lateReply = (): void => {
    if (transaction.finalStatus !== undefined) return;
    deps.metrics.lateAnswers.inc();
    log.warn(
      { answerWithinMs: deps.answerWithinMs },
      "recording set-up outlived the SBC's INVITE transaction; answered 503 instead of 200",
    );
    reply(503, { headers: [{ name: 'Retry-After', value: '1' }] });
  };
  const remainingMs = transaction.receivedAtMs + deps.answerWithinMs - performance.now();
  if (remainingMs <= 0) return lateReply();
  const deadline = setTimeout(lateReply, remainingMs);
  deadline.unref();
  try {
    await setUpRecording(deps, transaction, log, localTag);
  } finally {
    clearTimeout(deadline);
  }
}

type Reply = (status: number, extra?: Parameters<typeof buildResponse>[2]) => void;

function replier(transaction: ServerTransaction, localTag: string): Reply {
  return (status, extra = {}) => {
    transaction.respond(buildResponse(transaction.request, status, { toTag: localTag, ...extra }));
  };
}

async function setUpRecording(
  deps: InviteAcceptorDeps,
  transaction: ServerTransaction,
  log: Logger,
  localTag: string,
): Promise<void> {
  const { request, flow } = transaction;
  const reply = replier(transaction, localTag);
  const abandoned = transaction.finalResponseSent;
  const admission = deps.callSessions.admission();
  if (!admission.admit) {
    for (const reason of admission.reasons) deps.metrics.admissionRefused.inc({ reason });
    log.warn(
      { overload: admission.reasons, load: admission.load },
      'recording refused: node overloaded',
    );
    reply(503, { headers: [{ name: 'Retry-After', value: String(admission.retryAfterS) }] });
    return;
  }
  const unsupported = headerList(request, 'require').filter(
    (tag) => !SUPPORTED_OPTION_TAGS.has(tag.toLowerCase()),
  );
  if (unsupported.length > 0) {
    reply(420, { headers: [{ name: 'Unsupported', value: unsupported.join(', ') }] });
    return;
  }

  const timerOffer = readSessionTimer(request, deps.config.sipMinSessionExpiresS);
  if (timerOffer.kind === 'too-small') {
    reply(422, { headers: [{ name: 'Min-SE', value: String(timerOffer.minSeS) }] });
    return;
  }

  const offerless = offerlessBody(request);
  if (offerless !== null) {
    await offerInAnswer(deps, transaction, { log, localTag, timerOffer, ...offerless });
    return;
  }

  let offer: SiprecOffer;
  try {
    offer = parseSiprecOffer(
      headerValue(request, 'content-type') ?? '',
      request.body.toString('utf8'),
    );
  } catch (error) {
    // Only code and message: error details can quote the body (participant AORs).
    log.info(
      {
        code: isAppError(error) ? error.code : undefined,
        reason: error instanceof Error ? error.message : undefined,
      },
      'recording offer refused',
    );
    reply(statusForError(error));
    return;
  }

  let media: MediaSession | undefined;
  let handle: LiveCallHandle | undefined;
  let dialog: Dialog | undefined;
  try {
    media = await deps.mediaSessions.allocate(offer.streams.length);
    if (transaction.finalStatus !== undefined) {
      await media.close();
      return;
    }
    const base = dialogBase(deps, transaction, localTag, offer.metadata);
    const held = silentIndexes(offer);
    const answer = buildSdpAnswer(offer, {
      address: base.sdpAddress,
      ports: media.ports,
      sessionId: base.sdpSessionId,
      sessionVersion: 1,
      codecs: deps.mediaSessions.codecs,
      ...(deps.mediaSessions.srtp === undefined ? {} : { srtp: deps.mediaSessions.srtp }),
    });
    const session = newSessionFor(deps, request, flow, {
      offer,
      accepted: answer.accepted,
      callId: base.callId,
      profile: base.profile,
    });
    log.info(
      {
        callId: base.callId,
        callIdFrom: base.callIdFrom,
        streams: offer.streams.length,
        accepted: answer.accepted.length,
        profile: base.profile?.name,
      },
      'recording offer accepted',
    );

    const decision = await deps.callSessions.sessionStarted(session, { abandoned });
    if (!decision.accepted) {
      if (transaction.finalStatus === undefined)
        log.warn({ code: decision.code, reason: decision.reason }, 'core refused the recording');
      if (isOverloadCode(decision.code) || transaction.finalStatus !== undefined) {
        await media.close();
        media = undefined;
        reply(503, { headers: [{ name: 'Retry-After', value: '5' }] });
        return;
      }
    }
    handle = decision.accepted ? decision.handle : discardingCallHandle(base.callId);
    if (transaction.finalStatus !== undefined) {
      // 487: the SBC's CANCEL; 503: the answer deadline passed. Nothing was published yet.
      const reason = transaction.finalStatus === 487 ? 'cancel' : 'setup-timeout';
      log.info({ reason }, 'recording abandoned while the call was being set up');
      await Promise.allSettled([handle.end(reason), media.close()]);
      return;
    }

    media.attach(answer.accepted, handle);
    for (const stream of answer.accepted)
      if (held.has(stream.index)) media.setInactive(stream.index, true);
    dialog = {
      ...base.fields,
      handle,
      media,
      streamCount: offer.streams.length,
      acceptedIndexes: new Set(answer.accepted.map((s) => s.index)),
      answerSdp: answer.sdp,
      srtpAnswerKeys: answerKeysOf(answer.accepted),
      heldIndexes: held,
      sessionTimer: timerOffer.kind === 'timer' ? timerOffer.timer : null,
      offer,
      awaitingAnswer: null,
    };
    deps.dialogs.add(dialog);
    noteBrokenHeaders(deps, dialog, base, timerOffer);
    // A call set up on hold says so (the core publishes it after the answer).
    const onHold = heldChannels(dialog, held);
    if (onHold.length > 0) handle.holdChanged(onHold);
    deps.onDialogCreated(dialog);
    reply(200, {
      headers: okHeaders(dialog),
      contentType: 'application/sdp',
      body: Buffer.from(answer.sdp, 'utf8'),
    });
    // The call exists for the SBC now: only from here may it be announced (START).
    handle.answered().catch((err: unknown) => log.error({ err }, 'call could not be announced'));
  } catch (error) {
    log.error({ err: error }, 'recording setup failed');
    if (dialog !== undefined) deps.dialogs.delete(dialog);
    await Promise.allSettled([handle?.end('setup-failed'), media?.close()]);
    reply(statusForError(error), { headers: headersForError(error) });
  }
}

function okHeaders(dialog: Dialog) {
  return [
    { name: 'Contact', value: `<${dialog.localContact}>` },
    ...capabilityHeaders(),
    ...sessionTimerHeaders(dialog.sessionTimer),
  ];
}

type DialogBase = ReturnType<typeof dialogBase>;

/** What a recording dialog knows from its INVITE alone, before any SDP is settled. */
function dialogBase(
  deps: InviteAcceptorDeps,
  transaction: ServerTransaction,
  localTag: string,
  metadata: RecordingMetadata | null,
) {
  const { request, info, flow } = transaction;
  const contactAddress = advertisedAddress(flow, request.uri, deps.config);
  const sdpAddress = sdpAddressFor(contactAddress, deps.config);
  const sdpSessionId = String(randomInt(1, 2 ** 47));
  const profile = matchSbcProfile(
    deps.config.sbcProfiles,
    flow.remoteAddress,
    headerValue(request, 'user-agent'),
  );
  const { callId, from: callIdFrom } = chooseCallId(
    deps.config.callIdSource,
    request,
    info.callId,
    { metadata, extensions: sessionInfoFor(request, metadata).extensions },
  );
  const target = remoteTargetOf(request, flow);
  const toHeader = `${headerValue(request, 'to') ?? ''};tag=${localTag}`;
  return {
    callId,
    callIdFrom,
    profile,
    sdpAddress,
    sdpSessionId,
    contactBroken: target.contactBroken,
    routeSetBroken: target.routeSetBroken,
    fields: {
      sipCallId: info.callId,
      localTag,
      remoteTag: info.fromTag ?? '',
      callId,
      localHeader: toHeader,
      remoteHeader: info.from,
      remoteTarget: target.uri,
      routeSet: target.routeSet,
      targetViaFlow: target.contactBroken || target.routeSetBroken,
      flow,
      localAddress: contactAddress,
      localContact: localContactUri(contactAddress, flow, request.uri),
      sdpAddress,
      inviteCseq: info.cseq.seq,
      log: deps.log.child({ sipCallId: info.callId, callId }),
      lenientSeen: new Set<LenientCode>(),
      remoteCseq: info.cseq.seq,
      localCseq: 0,
      state: 'confirmed' as const,
      sdpSessionId,
      sdpSessionVersion: 1,
      profile,
    },
  };
}

function noteBrokenHeaders(
  deps: InviteAcceptorDeps,
  dialog: Dialog,
  base: DialogBase,
  timerOffer: ReturnType<typeof readSessionTimer>,
): void {
  if (base.contactBroken) deps.lenient(dialog, 'contact-malformed');
  if (base.routeSetBroken) deps.lenient(dialog, 'record-route-malformed');
  if (timerOffer.kind === 'malformed') deps.lenient(dialog, 'session-expires-malformed');
}

/** The session the core is told about, from the SRC's description of what it sends. */
export function newSessionFor(
  deps: Pick<InviteAcceptorDeps, 'mediaSessions'>,
  invite: SipRequest,
  flow: Pick<SipFlow, 'remoteAddress'>,
  found: {
    offer: SiprecOffer;
    accepted: readonly AnsweredStream[];
    callId: string;
    profile: SbcProfile | undefined;
  },
): NewSession {
  const { offer, profile } = found;
  const codecs = deps.mediaSessions.codecs;
  const srtp = deps.mediaSessions.srtp;
  const mapped = mapChannels({
    offer,
    codecs,
    ...(profile === undefined ? {} : { profile }),
    ...(srtp === undefined ? {} : { srtp }),
  });
  const headers = inviteHeaderRecord(invite);
  // A CUCM Built-in-Bridge dialog carries one end of a call; the core pairs it with the other.
  const bib = readCucmBib(headerValue(invite, 'from') ?? '');
  return {
    callId: found.callId,
    direction: mapped.direction,
    fromNumber: mapped.fromNumber,
    toNumber: mapped.toNumber,
    inviteHeaders: headers,
    siprecMetadataXml: offer.metadataXml,
    streams: mapped.streams,
    channelMapping: mapped.mapping,
    siprec: sessionInfoFor(invite, offer.metadata),
    sourceAddress: flow.remoteAddress,
    audioSampleRateHz: Math.max(8000, ...found.accepted.map((s) => s.outputRateHz)),
    ...(bib === null ? {} : { recordedLeg: recordedLegOf(bib) }),
  };
}

/** What the call record keeps of the INVITE: metadata, kept headers, CUCM BiB parameters. */
function sessionInfoFor(invite: SipRequest, metadata: RecordingMetadata | null): CallSiprecInfo {
  const info = sessionInfoFrom(metadata, inviteHeaderRecord(invite));
  const bib = readCucmBib(headerValue(invite, 'from') ?? '');
  return bib === null ? info : withCucmBib(info, bib);
}

/**
 * An INVITE without SDP (delayed offer: Cisco CUCM's Built-in-Bridge, some PBXs): the 200 OK
 * carries callscribe's offer and the call is only set up once the ACK brings the SRC's answer
 * (see delayed-offer.ts). Until then the dialog exists with ports but the core knows nothing of
 * it, so a missing answer or a lost ACK ends it without a trace in the call store. One m-line
 * per stream the metadata names, else one: a plain delayed-offer INVITE records one stream.
 */
async function offerInAnswer(
  deps: InviteAcceptorDeps,
  transaction: ServerTransaction,
  found: {
    log: Logger;
    localTag: string;
    timerOffer: ReturnType<typeof readSessionTimer>;
    metadataXml: string | null;
    metadata: RecordingMetadata | null;
  },
): Promise<void> {
  const { request } = transaction;
  const reply = replier(transaction, found.localTag);
  const labels =
    found.metadata !== null && found.metadata.streams.length > 0
      ? found.metadata.streams.map((s) => s.label || null)
      : [null];
  let media: MediaSession | undefined;
  try {
    media = await deps.mediaSessions.allocate(labels.length);
    if (transaction.finalStatus !== undefined) {
      await media.close();
      return;
    }
    const base = dialogBase(deps, transaction, found.localTag, found.metadata);
    const offerSdp = buildSdpOffer({
      address: base.sdpAddress,
      lines: labels.map((label, index) => ({ port: media?.ports[index] ?? 0, label })),
      sessionId: base.sdpSessionId,
      sessionVersion: 1,
      codecs: deps.mediaSessions.codecs,
      ...(deps.mediaSessions.srtp === undefined ? {} : { srtp: deps.mediaSessions.srtp }),
    });
    const dialog: Dialog = {
      ...base.fields,
      handle: discardingCallHandle(base.callId),
      media,
      streamCount: labels.length,
      acceptedIndexes: new Set(),
      answerSdp: offerSdp,
      srtpAnswerKeys: new Map(),
      heldIndexes: new Set(),
      sessionTimer: found.timerOffer.kind === 'timer' ? found.timerOffer.timer : null,
      offer: {
        sdp: offerSdp,
        streams: [],
        metadataXml: found.metadataXml,
        metadata: found.metadata,
        isSiprec: found.metadata !== null,
      },
      awaitingAnswer: {
        kind: 'setup',
        inviteCseq: base.fields.inviteCseq,
        invite: request,
        labels,
        abandon: new AbortController(),
        answered: false,
      },
    };
    found.log.info(
      { callId: base.callId, callIdFrom: base.callIdFrom, streams: labels.length },
      'INVITE without SDP: offering in the 200 OK, the ACK must answer',
    );
    deps.dialogs.add(dialog);
    noteBrokenHeaders(deps, dialog, base, found.timerOffer);
    reply(200, {
      headers: okHeaders(dialog),
      contentType: 'application/sdp',
      body: Buffer.from(offerSdp, 'utf8'),
    });
    if (transaction.finalStatus !== 200) {
      deps.dialogs.delete(dialog);
      await media.close();
    }
  } catch (error) {
    found.log.error({ err: error }, 'recording setup failed');
    await media?.close();
    reply(statusForError(error), { headers: headersForError(error) });
  }
}

/** Our `a=crypto` of each SRTP stream, by m-line index. */
export function answerKeysOf(accepted: readonly AnsweredStream[]): Map<number, AnswerKey> {
  const keys = new Map<number, AnswerKey>();
  for (const stream of accepted)
    if (stream.answerKey !== undefined) keys.set(stream.index, stream.answerKey);
  return keys;
}

/**
 * Where requests we send in the dialog go (RFC 3261 §12.1.1). A Contact or Record-Route that
 * does not parse never fails the INVITE: the recording matters more than the header, and the
 * flow the INVITE came on still reaches the SRC. The Request-URI is then the Contact's URI as
 * far as it can be read, else the flow's source address.
 */
export function remoteTargetOf(
  request: SipRequest,
  flow: Pick<SipFlow, 'remoteAddress' | 'remotePort' | 'transport'>,
): { uri: string; routeSet: string[]; contactBroken: boolean; routeSetBroken: boolean } {
  const fromFlow = `sip:${uriHost(flow.remoteAddress)}:${flow.remotePort}${
    flow.transport === 'udp' ? '' : `;transport=${flow.transport}`
  }`;
  const contact = headerList(request, 'contact')[0];
  let uri = fromFlow;
  let contactBroken = false;
  if (contact !== undefined) {
    try {
      uri = parseNameAddr(contact).uri;
      parseSipUri(uri);
    } catch {
      contactBroken = true;
      uri = salvagedUri(contact) ?? fromFlow;
    }
  }
  const routeSet = headerList(request, 'record-route');
  let routeSetBroken = false;
  try {
    for (const route of routeSet) parseSipUri(parseNameAddr(route).uri);
  } catch {
    routeSetBroken = true;
  }
  return { uri, routeSet: routeSetBroken ? [] : routeSet, contactBroken, routeSetBroken };
}

/** `<sip:7602922410@10.0.0.5:5060;+sip.src` (no `>`) → `sip:7602922410@10.0.0.5:5060`. */
function salvagedUri(contact: string): string | undefined {
  const text = contact.trim();
  const open = text.indexOf('<');
  const inner = (open >= 0 ? text.slice(open + 1) : text).replace(/>.*$/, '');
  const candidate = inner.split(';')[0]?.trim() ?? '';
  try {
    parseSipUri(candidate);
    return /[\s<>"]/.test(candidate) ? undefined : candidate;
  } catch {
    return undefined;
  }
}
