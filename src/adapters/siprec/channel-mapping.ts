import type { SbcProfile } from '../../config/schema.js';
import type { CodecPolicy } from '../../media/codec-policy.js';
import type { Channel, ChannelMapping } from '../../domain/call.js';
import { numberFromAor } from './number-from-aor.js';
import type { MetadataParticipant, RecordingMetadata } from './rs-metadata.js';
import type { OfferedStream, SiprecOffer } from './siprec-offer.js';
import { recordableStreams } from './stream-acceptance.js';
import type { SrtpSupport } from '../srtp/srtp-support.js';

export interface ChannelMappingResult {
  mapping: ChannelMapping;
  /** Every offered m-line in order, with the channel its audio belongs to (null: not transcribed). */
  streams: { label: string; role: Channel | null }[];
  /** The caller participant's number (LCA CustomerPhoneNumber); empty when unknown. */
  fromNumber: string;
  /** The agent participant's number (LCA SystemPhoneNumber); empty when unknown. */
  toNumber: string;
  direction: 'Inbound' | 'Outbound';
}

interface Decision {
  caller: MetadataParticipant | null;
  agent: MetadataParticipant | null;
  callerLabel: string | null;
  agentLabel: string | null;
  rule: string;
}

/**
 * Decides which recorded stream is the caller (customer) and which the agent, deterministically:
 * 1. only one recordable audio stream → `single-stream` (it is the CALLER channel);
 * 2. a matching SBC profile's rule (`metadata`, `label-order` with `firstLabelIs`, `agent-aor-pattern`);
 * 3. otherwise metadata: vendor role flags (`metadata-role-hint`), else the first participant in
 *    the metadata whose send stream is recorded (`metadata-participant-order`);
 * 4. otherwise `label-order`: the first recordable m-line is the CALLER.
 * A profile rule that cannot decide (no metadata, pattern matching nobody) falls through to 3 and 4.
 */
export function mapChannels(input: {
  offer: SiprecOffer;
  profile?: SbcProfile;
  /** What counts as recordable audio; G.711 only when absent. */
  codecs?: CodecPolicy;
  /** Whether SRTP lines are recordable (`srtpPolicy`, the SRTP library); declined when absent. */
  srtp?: SrtpSupport;
}): ChannelMappingResult {
  const { offer, profile } = input;
  const candidates = recordableStreams(offer, input.codecs, input.srtp);
  const metadata = offer.metadata;
  const labelsOf = senderLabels(metadata, candidates);

  let decision: Decision | null = null;
  if (candidates.length === 1) {
    const single = candidates[0]?.label ?? null;
    const people = metadataParticipants(metadata, labelsOf) ?? orderedParticipants(metadata);
    decision = { ...people, callerLabel: single, agentLabel: null, rule: 'single-stream' };
  } else if (profile?.mappingRule === 'label-order') {
    decision = byLabelOrder(candidates, metadata, labelsOf, profile.firstLabelIs);
  } else if (profile?.mappingRule === 'agent-aor-pattern') {
    decision = byAgentPattern(profile.agentAorPattern, candidates, metadata, labelsOf);
  }
  decision ??=
    byMetadata(candidates, metadata, labelsOf) ??
    byLabelOrder(candidates, metadata, labelsOf, 'CALLER');

  const callerLabels = new Set(decision.caller === null ? [] : labelsOf(decision.caller));
  const agentLabels = new Set(decision.agent === null ? [] : labelsOf(decision.agent));
  const recordable = new Set(candidates.map((s) => s.label));
  const streams = offer.streams.map((s) => {
    let role: Channel | null = null;
    if (s.label === decision.callerLabel) role = 'CALLER';
    else if (s.label === decision.agentLabel) role = 'AGENT';
    else if (recordable.has(s.label) && decision.rule !== 'single-stream') {
      if (callerLabels.has(s.label) && !agentLabels.has(s.label)) role = 'CALLER';
      else if (agentLabels.has(s.label) && !callerLabels.has(s.label)) role = 'AGENT';
    }
    return { label: s.label, role };
  });

  return {
    mapping: {
      callerStreamLabel: decision.callerLabel,
      agentStreamLabel: decision.agentLabel,
      rule: decision.rule,
      swappedByHook: false,
    },
    streams,
    fromNumber: numberFromAor(decision.caller?.aor),
    toNumber: numberFromAor(decision.agent?.aor),
    direction: metadata?.extensions['callType'] === 'originating' ? 'Outbound' : 'Inbound',
  };
}

type LabelsOf = (participant: MetadataParticipant) => string[];

/** A participant's send streams that are recordable, as labels, in recording preference order. */
function senderLabels(metadata: RecordingMetadata | null, candidates: OfferedStream[]): LabelsOf {
  const labelById = new Map((metadata?.streams ?? []).map((s) => [s.streamId, s.label]));
  const order = candidates.map((s) => s.label);
  return (participant) => {
    const labels = participant.sendStreamIds
      .map((id) => labelById.get(id))
      .filter((label): label is string => label !== undefined && order.includes(label));
    return [...new Set(labels)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  };
}

function byMetadata(
  candidates: OfferedStream[],
  metadata: RecordingMetadata | null,
  labelsOf: LabelsOf,
): Decision | null {
  const people = metadataParticipants(metadata, labelsOf);
  if (people === null) return null;
  const callerLabel = firstOf(people.caller === null ? [] : labelsOf(people.caller), null);
  const agentLabel = firstOf(people.agent === null ? [] : labelsOf(people.agent), callerLabel);
  return { ...people, ...withFallbackLabels(callerLabel, agentLabel, candidates) };
}

/** Caller and agent participants from vendor flags, else from metadata order; null when neither works. */
function metadataParticipants(
  metadata: RecordingMetadata | null,
  labelsOf: LabelsOf,
): { caller: MetadataParticipant | null; agent: MetadataParticipant | null; rule: string } | null {
  const participants = metadata?.participants ?? [];
  const hintedCaller = participants.find((p) => p.roleHint === 'CALLER') ?? null;
  const hintedAgent = participants.find((p) => p.roleHint === 'AGENT') ?? null;
  if (hintedCaller !== null || hintedAgent !== null) {
    const others = (taken: MetadataParticipant | null): MetadataParticipant | null =>
      participants.find((p) => p !== taken && p.roleHint === null && labelsOf(p).length > 0) ??
      participants.find((p) => p !== taken && p.roleHint === null) ??
      null;
    return {
      caller: hintedCaller ?? others(hintedAgent),
      agent: hintedAgent ?? others(hintedCaller),
      rule: 'metadata-role-hint',
    };
  }
  const senders = participants.filter((p) => labelsOf(p).length > 0);
  const caller = senders[0];
  if (caller === undefined) return null;
  const callerFirst = labelsOf(caller)[0];
  const agent =
    senders.find((p) => p !== caller && labelsOf(p)[0] !== callerFirst) ?? senders[1] ?? null;
  return { caller, agent, rule: 'metadata-participant-order' };
}

/** Participants in metadata order, for numbers when streams cannot be tied to anyone. */
function orderedParticipants(metadata: RecordingMetadata | null): {
  caller: MetadataParticipant | null;
  agent: MetadataParticipant | null;
} {
  const participants = metadata?.participants ?? [];
  return { caller: participants[0] ?? null, agent: participants[1] ?? null };
}

function byLabelOrder(
  candidates: OfferedStream[],
  metadata: RecordingMetadata | null,
  labelsOf: LabelsOf,
  firstLabelIs: Channel,
): Decision {
  const first = candidates[0]?.label ?? null;
  const second = candidates[1]?.label ?? null;
  const [callerLabel, agentLabel] = firstLabelIs === 'CALLER' ? [first, second] : [second, first];
  const participants = metadata?.participants ?? [];
  const sending = (label: string | null): MetadataParticipant | null =>
    label === null ? null : (participants.find((p) => labelsOf(p).includes(label)) ?? null);
  let caller = sending(callerLabel);
  let agent = sending(agentLabel);
  if (caller === null && agent === null) ({ caller, agent } = orderedParticipants(metadata));
  return { caller, agent, callerLabel, agentLabel, rule: 'label-order' };
}

function byAgentPattern(
  pattern: string | undefined,
  candidates: OfferedStream[],
  metadata: RecordingMetadata | null,
  labelsOf: LabelsOf,
): Decision | null {
  if (pattern === undefined || metadata === null) return null;
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'i');
  } catch {
    return null;
  }
  const participants = metadata.participants;
  const agent = participants.find((p) => p.aor !== null && regex.test(p.aor));
  if (agent === undefined) return null;
  const caller =
    participants.find((p) => p !== agent && labelsOf(p).length > 0) ??
    participants.find((p) => p !== agent) ??
    null;
  const agentLabel = firstOf(labelsOf(agent), null);
  const callerLabel = firstOf(caller === null ? [] : labelsOf(caller), agentLabel);
  return {
    caller,
    agent,
    ...withFallbackLabels(callerLabel, agentLabel, candidates),
    rule: 'agent-aor-pattern',
  };
}

function firstOf(labels: string[], except: string | null): string | null {
  return labels.find((label) => label !== except) ?? null;
}

/** A side the metadata did not name takes the first recordable stream the other side does not use. */
function withFallbackLabels(
  callerLabel: string | null,
  agentLabel: string | null,
  candidates: readonly { label: string }[],
): { callerLabel: string | null; agentLabel: string | null } {
  const labels = candidates.map((s) => s.label);
  return {
    callerLabel: callerLabel ?? firstOf(labels, agentLabel),
    agentLabel: agentLabel ?? firstOf(labels, callerLabel),
  };
}
