import { sameParty } from './party-match.js';
import { deepText, findAll, findFirst, type XmlElement } from './xml-tree.js';

export type RoleHint = 'CALLER' | 'AGENT' | null;
export type CallType = 'originating' | 'terminating';

interface HintParticipant {
  element: XmlElement;
  aor: string | null;
}

export interface RoleHints {
  roles: RoleHint[];
  /** From BroadWorks `callType/origCall|termCall` or Metaswitch `callType`: the recorded party's side. */
  callType: CallType | null;
}

/**
 * Caller/agent flags vendors put in their extension data. CALLER means the customer side (LCA's
 * CustomerPhoneNumber), AGENT the contact-center side:
 * - Oracle `apkt:callingParty` per participant: true → CALLER, false → AGENT.
 * - BroadWorks (`broadWorksRecordingMetadata`: `userID`, `callType/termCall|origCall` with
 *   calling/called numbers) and Metaswitch (`callType` originating|terminating, `recordedParty`,
 *   `callingPartyNumber`): the recorded subscriber is the AGENT; on a terminating call the calling
 *   party is the CALLER, on an originating call the called party is.
 */
export function roleHintsFrom(root: XmlElement, participants: HintParticipant[]): RoleHints {
  const roles: RoleHint[] = participants.map((p) => oracleFlag(p.element));
  const callType = callTypeOf(root);
  if (callType === null || roles.some((role) => role !== null)) return { roles, callType };

  const valueOf = (localName: string): string | null => {
    const found = findFirst(root, (e) => e.localName === localName);
    const text = found === null ? '' : deepText(found);
    return text === '' ? null : text;
  };
  const indexOfParty = (address: string | null): number =>
    address === null ? -1 : participants.findIndex((p) => sameParty(p.aor, address));
  const calling = indexOfParty(valueOf('callingpartynumber'));
  const called = indexOfParty(valueOf('calledpartynumber'));
  const recorded = indexOfParty(valueOf('recordedparty') ?? valueOf('userid'));
  const otherThan = (index: number): number =>
    participants.length === 2 && index >= 0 ? 1 - index : -1;

  let agent: number;
  let caller: number;
  if (callType === 'terminating') {
    agent = recorded >= 0 ? recorded : called >= 0 ? called : otherThan(calling);
    caller = calling >= 0 && calling !== agent ? calling : otherThan(agent);
  } else {
    agent = recorded >= 0 ? recorded : calling >= 0 ? calling : otherThan(called);
    caller = called >= 0 && called !== agent ? called : otherThan(agent);
  }
  if (agent >= 0) roles[agent] = 'AGENT';
  if (caller >= 0 && caller !== agent) roles[caller] = 'CALLER';
  return { roles, callType };
}

function oracleFlag(participant: XmlElement): RoleHint {
  const flag = findAll(
    participant,
    (e) => e.localName === 'callingparty',
    (e) => e.localName === 'participant',
  )[0];
  if (flag === undefined) return null;
  const value = deepText(flag).toLowerCase();
  if (value === 'true') return 'CALLER';
  if (value === 'false') return 'AGENT';
  return null;
}

function callTypeOf(root: XmlElement): CallType | null {
  const element = findFirst(root, (e) => e.localName === 'calltype');
  if (element === null) return null;
  const names = [deepText(element).toLowerCase(), ...element.children.map((c) => c.localName)];
  if (names.some((n) => n === 'terminating' || n === 'termcall')) return 'terminating';
  if (names.some((n) => n === 'originating' || n === 'origcall')) return 'originating';
  return null;
}
