import type { SbcProfile } from '../../config/schema.js';
import type { Channel } from '../../domain/call.js';
import type { MetadataParticipant, RecordingMetadata } from './rs-metadata.js';

export interface AddedStreamSide {
  side: Channel;
  /** Label of the call's own stream the added one is mixed into; null when the call has none. */
  mixInto: string | null;
  /** Which rule decided, for the log. */
  rule:
    | 'same-participant'
    | 'metadata-role-hint'
    | 'agent-aor-pattern'
    | 'agent-domain'
    | 'non-agent-side';
}

/**
 * Which side of the call a stream added by a re-offer belongs to (a conference's third party),
 * from the SIPREC participant/stream association of the latest metadata:
 * 1. its sender also sends the caller's or the agent's stream (a party's second stream);
 * 2. its sender carries a vendor role flag;
 * 3. the SBC profile's `agentAorPattern` matches its sender;
 * 4. its sender's AOR host is the agent's and not the caller's (a supervisor of the same
 *    contact center);
 * 5. otherwise, and without metadata, the non-agent side: CALLER.
 */
export function addedStreamSide(input: {
  label: string;
  metadata: RecordingMetadata | null;
  /** The call's own streams as the edge mapped them at setup (before any hook swap). */
  callerLabel: string | null;
  agentLabel: string | null;
  profile?: SbcProfile;
}): AddedStreamSide {
  const { label, metadata, callerLabel, agentLabel } = input;
  const decide = (side: Channel, rule: AddedStreamSide['rule']): AddedStreamSide => ({
    side,
    rule,
    mixInto: (side === 'AGENT' ? agentLabel : callerLabel) ?? callerLabel ?? agentLabel,
  });
  const labelById = new Map((metadata?.streams ?? []).map((s) => [s.streamId, s.label]));
  const participants = metadata?.participants ?? [];
  const sends = (p: MetadataParticipant, l: string | null): boolean =>
    l !== null && p.sendStreamIds.some((id) => labelById.get(id) === l);
  const senders = participants.filter((p) => sends(p, label));

  for (const sender of senders) {
    if (sends(sender, agentLabel)) return decide('AGENT', 'same-participant');
    if (sends(sender, callerLabel)) return decide('CALLER', 'same-participant');
  }
  for (const sender of senders) {
    if (sender.roleHint !== null) return decide(sender.roleHint, 'metadata-role-hint');
  }
  const pattern = agentPattern(input.profile);
  if (pattern !== null && senders.some((p) => p.aor !== null && pattern.test(p.aor)))
    return decide('AGENT', 'agent-aor-pattern');
  const agentHost = hostOf(participants.find((p) => sends(p, agentLabel))?.aor);
  const callerHost = hostOf(participants.find((p) => sends(p, callerLabel))?.aor);
  if (
    agentHost !== null &&
    agentHost !== callerHost &&
    senders.some((p) => hostOf(p.aor) === agentHost)
  )
    return decide('AGENT', 'agent-domain');
  return decide('CALLER', 'non-agent-side');
}

function agentPattern(profile: SbcProfile | undefined): RegExp | null {
  if (profile?.mappingRule !== 'agent-aor-pattern' || profile.agentAorPattern === undefined)
    return null;
  try {
    return new RegExp(profile.agentAorPattern, 'i');
  } catch {
    return null;
  }
}

/** `sip:1001@cc.example.com;user=phone` → `cc.example.com`; null without a host part. */
function hostOf(aor: string | null | undefined): string | null {
  if (aor === null || aor === undefined) return null;
  const at = aor.lastIndexOf('@');
  if (at < 0) return null;
  const host = aor
    .slice(at + 1)
    .split(/[;>:?]/)[0]
    ?.trim()
    .toLowerCase();
  return host === undefined || host === '' ? null : host;
}
