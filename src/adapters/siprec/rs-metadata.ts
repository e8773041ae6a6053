import { collectExtensions } from './metadata-extensions.js';
import { roleHintsFrom } from './metadata-role-hints.js';
import { parseLenientXml } from './xml-lenient.js';
import { parseStrictXml } from './xml-strict.js';
import {
  attributeOf,
  childrenNamed,
  deepText,
  findAll,
  findFirst,
  type XmlElement,
} from './xml-tree.js';

export type MetadataDialect = 'rfc7865' | 'legacy-draft' | 'broadworks' | 'unknown';

export interface MetadataParticipant {
  participantId: string;
  aor: string | null;
  name: string | null;
  /** Stream ids (not labels) this participant sends; map them through `streams`. */
  sendStreamIds: string[];
  recvStreamIds: string[];
  /**
   * From vendor flags: Oracle apkt:callingParty=true, BroadWorks callType origCall/termCall,
   * Metaswitch callType originating, etc. CALLER is the customer side.
   */
  roleHint: 'CALLER' | 'AGENT' | null;
}

export interface RecordingMetadata {
  dialect: MetadataDialect;
  /** True when the XML was malformed and the lenient reader was used. */
  lenient: boolean;
  sessionId: string | null;
  sipSessionId: string | null;
  participants: MetadataParticipant[];
  streams: { streamId: string; label: string }[];
  /**
   * Vendor data with readable keys (`apkt:ucid`, `ac:GenesysUUID`, `broadworks:userID`,
   * `participant.1.apkt:callingParty`), plus `ucid` when any UCID was found and `callType`
   * (`originating` | `terminating`) when BroadWorks or Metaswitch said which side was recorded.
   */
  extensions: Record<string, string>;
}

const namespaces: ReadonlyMap<string, MetadataDialect> = new Map([
  ['urn:ietf:params:xml:ns:recording:1', 'rfc7865'],
  ['urn:ietf:params:xml:ns:recording', 'legacy-draft'],
]);

/** Elements whose subtrees belong to a vendor, never to the standard model. */
const isExtension = (e: XmlElement): boolean => e.localName === 'extensiondata';

/**
 * Normalises the three SIPREC metadata dialects into one model. Well-formed XML is read
 * strictly; malformed XML (seen from Oracle SBCs) falls back to a lenient reader so labels and
 * participants still come through. Never throws: unusable input gives dialect `unknown` and
 * empty lists, because bad metadata must never fail the call.
 */
export function parseRecordingMetadata(xml: string): RecordingMetadata {
  try {
    const strict = parseStrictXml(xml);
    const document = strict ?? parseLenientXml(xml);
    return normalise(document, strict === null);
  } catch {
    return emptyMetadata(true);
  }
}

function emptyMetadata(lenient: boolean): RecordingMetadata {
  return {
    dialect: 'unknown',
    lenient,
    sessionId: null,
    sipSessionId: null,
    participants: [],
    streams: [],
    extensions: {},
  };
}

function normalise(document: XmlElement, lenient: boolean): RecordingMetadata {
  const root = findFirst(
    document,
    (e) => e.localName === 'recording' || e.localName === 'recording_metadata',
    isExtension,
  );
  if (root === null) return emptyMetadata(lenient);

  const participantElements = findAll(root, (e) => e.localName === 'participant', isExtension);
  const entries = participantElements
    .map((element) => ({ element, participant: participantFrom(element) }))
    .filter((entry) => entry.participant.participantId !== '');
  const participants = entries.map((entry) => entry.participant);
  for (const assoc of findAll(root, (e) => e.localName === 'participantstreamassoc', isExtension)) {
    const owner = participants.find(
      (p) => p.participantId === (attributeOf(assoc, 'participant_id') ?? attributeOf(assoc, 'id')),
    );
    if (owner === undefined) continue;
    addUnique(owner.sendStreamIds, streamRefs(assoc, 'send'));
    addUnique(owner.recvStreamIds, streamRefs(assoc, 'recv'));
  }

  const streams: RecordingMetadata['streams'] = [];
  for (const stream of findAll(root, (e) => e.localName === 'stream', isExtension)) {
    const streamId = (attributeOf(stream, 'stream_id') ?? attributeOf(stream, 'id') ?? '').trim();
    const labelElement = childrenNamed(stream, 'label')[0];
    const label = labelElement === undefined ? '' : deepText(labelElement);
    if (streamId !== '' && !streams.some((s) => s.streamId === streamId))
      streams.push({ streamId, label });
  }

  const hints = roleHintsFrom(
    root,
    entries.map((entry) => ({ element: entry.element, aor: entry.participant.aor })),
  );
  participants.forEach((p, i) => {
    p.roleHint = hints.roles[i] ?? null;
  });

  const extensions = collectExtensions(root);
  if (hints.callType !== null) extensions['callType'] = hints.callType;

  const session = findFirst(root, (e) => e.localName === 'session', isExtension);
  const sessionId =
    session === null
      ? null
      : nonEmpty(attributeOf(session, 'session_id') ?? attributeOf(session, 'id'));
  const sipSession = findFirst(root, (e) => e.localName === 'sipsessionid', isExtension);
  const sipSessionId =
    sipSession === null ? null : nonEmpty(deepText(sipSession).replace(/\s+/g, ''));

  return {
    dialect: dialectOf(root, participantElements),
    lenient,
    sessionId,
    sipSessionId,
    participants,
    streams,
    extensions,
  };
}

function participantFrom(element: XmlElement): MetadataParticipant {
  const ownOnly = (e: XmlElement): boolean => isExtension(e) || e.localName === 'participant';
  const participantId = (
    attributeOf(element, 'participant_id') ??
    attributeOf(element, 'id') ??
    ''
  ).trim();
  const nameId = findAll(element, (e) => e.localName === 'nameid', ownOnly)[0];
  const aorElement = findAll(element, (e) => e.localName === 'aor', ownOnly)[0];
  const aor = nonEmpty(
    (nameId === undefined ? null : attributeOf(nameId, 'aor')) ??
      attributeOf(element, 'aor') ??
      (aorElement === undefined ? null : deepText(aorElement)),
  );
  const nameElement = findAll(element, (e) => e.localName === 'name', ownOnly)[0];
  const name = nameElement === undefined ? null : nonEmpty(deepText(nameElement));
  return {
    participantId,
    aor,
    name,
    sendStreamIds: unique(streamRefs(element, 'send')),
    recvStreamIds: unique(streamRefs(element, 'recv')),
    roleHint: null,
  };
}

/** `<send>id</send>` (RFC 7865, legacy) or `<send><id>id</id></send>` (BroadWorks). */
function streamRefs(container: XmlElement, localName: 'send' | 'recv'): string[] {
  const refs: string[] = [];
  const elements = findAll(
    container,
    (e) => e.localName === localName,
    (e) => isExtension(e) || e.localName === 'participant',
  );
  for (const element of elements) {
    const ids = childrenNamed(element, 'id');
    const values = ids.length > 0 ? ids.map(deepText) : [deepText(element)];
    for (const value of values) if (value !== '') refs.push(value);
  }
  return refs;
}

function dialectOf(root: XmlElement, participants: XmlElement[]): MetadataDialect {
  if (root.localName === 'recording_metadata') return 'broadworks';
  const colon = root.name.indexOf(':');
  const namespaceAttribute = colon < 0 ? 'xmlns' : `xmlns:${root.name.slice(0, colon)}`;
  const known = namespaces.get((root.attributes[namespaceAttribute] ?? '').trim());
  if (known !== undefined) return known;
  // Unknown or missing namespace: the attribute style still tells the two IETF shapes apart.
  const first = participants[0];
  if (first === undefined) return 'unknown';
  if (attributeOf(first, 'participant_id') !== null) return 'rfc7865';
  if (attributeOf(first, 'id') !== null) return 'legacy-draft';
  return 'unknown';
}

function addUnique(target: string[], values: string[]): void {
  for (const value of values) if (!target.includes(value)) target.push(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function nonEmpty(value: string | null): string | null {
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
